package sdk

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// The host sends the W3C trace context of each block's span (its
// traceparent) in the gRPC metadata of ExecuteBlock, ResumeBlock and
// CancelBlock. traceContextUnary puts it into the call's context as the
// remote parent span, so an adapter that makes OpenTelemetry spans from
// the ctx it is given (tracer.Start(ctx, …)) adds them to the run's trace,
// under the block. Without tracing on the host there is no traceparent and
// ctx is unchanged.
func traceContextUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(extractTraceContext(ctx), req)
}

var traceContext = propagation.TraceContext{}

func extractTraceContext(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md.Get("traceparent")) == 0 {
		return ctx
	}
	return traceContext.Extract(ctx, metadataCarrier(md))
}

// metadataCarrier reads and writes gRPC metadata as a propagation carrier.
type metadataCarrier metadata.MD

func (c metadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
