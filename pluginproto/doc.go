// Package pluginproto holds the wire protocol between the openoma host and
// its adapter plugins: the .proto files and the Go code generated from them
// (regenerate with `make proto`; never edit *.pb.go by hand).
//
// Two services:
//
//   - Adapter (adapter.proto), served by a plugin: Describe, ExecuteBlock,
//     ResumeBlock, CancelBlock, EvaluateCondition.
//   - EventStore (eventstore.proto), served by the host over go-plugin's
//     GRPCBroker so a plugin records its events in the host's log.
//
// Definitions, inputs and the opaque parts of events (payload, metadata,
// executor) cross the wire as JSON bytes, not as protobuf re-models of every
// field, so the core model stays the single source of truth; payloads keep
// their exact bytes. Errors carry an ErrorDetail (errors.proto) naming the
// sentinel error they stand for.
//
// Plugin authors never import this package: the sdk package wraps it.
package pluginproto
