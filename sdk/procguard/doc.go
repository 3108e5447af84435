// Package procguard makes sure that the processes a plugin starts for a
// block do not outlive the plugin, however it dies — kill -9 of the
// plugin, or of the host (which takes the plugin down with it).
//
// A plugin that starts commands puts each in a process group of its own
// and tells a Guard about it: the execution it belongs to, an environment
// entry every process of that execution inherits (its marker), and the
// group id once the command started. The Guard forwards this, line by
// line, to a small watchdog process — the plugin's own binary re-executed
// in guard mode (RunIfGuard), in a process group of its own and without
// the plugin's stdout or stderr. The watchdog only reads. When its input
// ends, the plugin is gone — whether it exited or was killed — and the
// watchdog kills every group it was told about and every process that
// carries a watched marker (a background job that left its group with
// setsid), then exits.
//
// A child subreaper (PR_SET_CHILD_SUBREAPER) would find escaped
// descendants without reading environments, but it makes the plugin the
// parent of every orphan, whose exit statuses it must then collect
// without racing os/exec's Wait for its own children — and the kernel
// drops the subreaper with the plugin, exactly when it is needed. The
// watchdog is not an ancestor of the commands, so it cannot be one either.
//
// Sweep is the same kill, for a plugin that resumes or cancels an
// execution a previous plugin process ran.
//
// Linux only in full: elsewhere the marker scan (which reads /proc) finds
// nothing and only process groups are killed.
package procguard
