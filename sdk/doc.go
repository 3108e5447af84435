// Package sdk is what an openoma adapter plugin imports: the Adapter
// interface (the spec's ExecutionAdapter, §4.2, with a context first),
// Serve, which runs an Adapter as a go-plugin process, the Emitter, which
// records a block's lifecycle in the host's event store, and a CEL helper
// for conditions. The host imports it too, for the other end of the wire
// (Handshake, PluginMap, ClientConfig, Dispense).
//
// # A plugin in a few lines
//
//	type echo struct {
//		sdk.NoConditions
//		tasks sdk.Tasks
//	}
//
//	func (a *echo) Describe(context.Context) (sdk.Info, error) {
//		return sdk.Info{Name: "echo", Version: "1.0.0", Hints: []string{"echo"}}, nil
//	}
//
//	func (a *echo) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
//		em := req.Emitter(sdk.System("echo"))
//		a.tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) {
//			_ = em.Run(ctx, func(ctx context.Context) (map[string]any, error) {
//				return req.Inputs, nil
//			})
//		})
//		return req.ExecutionID, nil
//	}
//
//	func main() { sdk.Serve(&echo{}) }
//
// (ResumeBlock and CancelBlock complete the interface; see
// docs/plugin-authoring.md and examples/plugin-echo.)
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
