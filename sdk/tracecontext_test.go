package sdk

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

// A call that carries a traceparent hands the adapter a context whose
// span is the host's block span, as a remote parent.
func TestExtractTraceContext(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("traceparent", tp))
	sc := trace.SpanContextFromContext(extractTraceContext(ctx))
	if !sc.IsValid() || !sc.IsRemote() || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		sc.SpanID().String() != "00f067aa0ba902b7" || !sc.IsSampled() {
		t.Errorf("span context %+v from %s", sc, tp)
	}
	plain := context.Background()
	if got := extractTraceContext(plain); trace.SpanContextFromContext(got).IsValid() {
		t.Error("a call without a traceparent got a span context")
	}
}
