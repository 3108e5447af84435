// Package fault is the bundled plugins' fault injection: block or node
// metadata asks a plugin to crash at a chosen point of a block's lifecycle,
// so the host's crash and resume paths can be tested on purpose.
//
//	metadata:
//	  openoma.fault: {crash_after: started, times: 1}
//	  # or, nested:
//	  openoma:
//	    fault: {crash_after: started, times: 1}
//
// crash_after is one of assigned, started, progress or output (see Point);
// times (default 1) bounds how often the crash happens per execution and
// attempt. The node's setting wins over the block's.
//
// The count lives in a small file per (execution id, attempt) under the
// directory named by $OPENOMA_FAULT_DIR (default: os.TempDir()/openoma-faults),
// written before the process kills itself, so it survives the crash: the
// plugin process the host restarts finds the budget spent and lets the
// resumed run succeed.
package fault
