// Package tracing exports executions as OpenTelemetry traces: one span per
// contract, flow and block execution, nested as they ran, with the times,
// states and reasons the event log recorded.
//
// Spans are made from the log, not from in-process calls: a Follower reads
// the store's subscription and ends each execution's span at its terminal
// event, with the created event's time as its start. Span ids are derived
// from execution ids (the trace id is the top-level execution's UUID, a
// span id eight bytes of a hash of the execution's), so a host that
// restarts mid-run, or a second host, exports spans that join the same
// trace, and a plugin can be handed its block's span context before the
// block's span exists (TraceParent, carried in the gRPC metadata as W3C
// traceparent). Export is OTLP over HTTP, off unless configured.
package tracing
