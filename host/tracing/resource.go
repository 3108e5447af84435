package tracing

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Resource names the process the spans come from.
type Resource struct{ r *resource.Resource }

// NewResource describes this host: service name and host name.
func NewResource(service string) *Resource {
	host, _ := os.Hostname()
	return &Resource{resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("host.name", host),
	)}
}

// OTLPOptions configure the OTLP/HTTP exporter.
type OTLPOptions struct {
	// Endpoint is host:port of the collector (e.g. localhost:4318).
	Endpoint string
	// Insecure sends plain HTTP (a collector on loopback).
	Insecure bool
	// Headers go with every export (e.g. an API key).
	Headers map[string]string
}

// NewOTLPExporter returns an exporter that sends spans to a collector over
// OTLP/HTTP. It does not connect until the first export.
func NewOTLPExporter(ctx context.Context, o OTLPOptions) (sdktrace.SpanExporter, error) {
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(o.Endpoint)}
	if o.Insecure {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if len(o.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(o.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter for %s: %w", o.Endpoint, err)
	}
	return exp, nil
}
