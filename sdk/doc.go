// Package sdk is what an openoma adapter plugin imports: the Adapter
// interface (the spec's ExecutionAdapter, §4.2, with a context first),
// Serve, which runs an Adapter as a go-plugin process, the Emitter, which
// records a block's lifecycle in the host's event store, and a CEL helper
// for conditions. The host imports it too, for the other end of the wire
// (Handshake, PluginMap, ClientConfig, Dispense).
//
// # A plugin in a few lines
//
// For the common case — a block's work is a function — BlockAdapter is the
// whole adapter: give it Info, Work and whether the work is idempotent,
// and pass it to Serve from main. It records the lifecycle, resumes after
// crashes, cancels and shuts down as the host expects (see
// ExampleBlockAdapter, and examples/plugin-echo, a plugin in 24 lines).
// Embed it to add conditions or override a method; implement Adapter
// yourself only for blocks that are not a function (the bundled manual
// plugin, whose tasks people complete). sdk/plugintest's conformance
// suite checks either kind (see plugintest.ExampleRun).
//
// The parts BlockAdapter is built from are there for adapters of your
// own: Emitter (Run does a whole lifecycle, Checkpoints let fault
// injection stop it between steps), Tasks (background work that
// CancelBlock and Shutdown reach), Ports (inputs and outputs checked
// against the block's ports and JSON schemas), Failf and FailureOf.
//
// A plugin that starts processes should watch them with sdk/procguard,
// so that none outlives the plugin (Serve lets the binary be its own
// watchdog).
//
// # Limits
//
// One message between host and plugin carries up to MaxMessageBytes, so
// inputs and outputs of 64 MiB travel; the Emitter refuses an append over
// MaxPayloadBytes with ErrTooLarge (Run fails the block with code
// "output_too_large"), naming the limit.
//
// # Rules of the boundary
//
// ExecuteBlock must return quickly: the host waits for it. Long work runs
// in a goroutine (Tasks.Go) and its outcome travels as events. A request's
// context ends when the call returns, so work must not use it for
// cancellation; Tasks.Go gives it a context that keeps the request's
// values (its logger) and is cancelled by Tasks.Cancel.
//
// The store in a request is the host's store, reached over go-plugin's
// GRPCBroker. It refuses writes to executions the host did not give this
// plugin (ErrNotGranted). Errors keep their identity across the wire:
// store.ErrConflict, ErrFinal, ErrNotFound, ErrInvalid and ErrClosed match
// with errors.Is on the plugin's side, and the sdk's own sentinels on the
// host's.
//
// A plugin exits by itself when its host dies. Its log lines (NewLogger,
// Logger(ctx)) go to stderr as JSON, where the host reads and re-logs them.
package sdk
