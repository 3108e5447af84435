package tracing

import (
	"context"
	"crypto/sha256"

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TraceID is the trace of a top-level execution: its UUID's 16 bytes.
func TraceID(root uuid.UUID) trace.TraceID { return trace.TraceID(root) }

// SpanID is the span of one execution: the first 8 bytes of a SHA-256 of
// its id (never all zero, which OpenTelemetry reserves for "none").
func SpanID(execution uuid.UUID) trace.SpanID {
	sum := sha256.Sum256(append([]byte("openoma span "), execution[:]...))
	var id trace.SpanID
	copy(id[:], sum[:8])
	if !id.IsValid() {
		id[7] = 1
	}
	return id
}

// SpanContext is the (remote, sampled) span context of an execution in the
// trace of root.
func SpanContext(root, execution uuid.UUID) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: TraceID(root), SpanID: SpanID(execution), TraceFlags: trace.FlagsSampled, Remote: true,
	})
}

// TraceParent is the W3C traceparent header of an execution's span.
func TraceParent(root, execution uuid.UUID) string {
	return "00-" + TraceID(root).String() + "-" + SpanID(execution).String() + "-01"
}

// fixedIDs is an IDGenerator that hands out the ids put in the context by
// withIDs, so the SDK's span gets the derived ids.
type fixedIDs struct{}

type idsKey struct{}

type ids struct {
	trace trace.TraceID
	span  trace.SpanID
}

func withIDs(ctx context.Context, root, execution uuid.UUID) context.Context {
	return context.WithValue(ctx, idsKey{}, ids{TraceID(root), SpanID(execution)})
}

var _ sdktrace.IDGenerator = fixedIDs{}

func (fixedIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.trace, v.span
}

func (fixedIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.span
}
