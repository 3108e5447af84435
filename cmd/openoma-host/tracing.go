package main

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/tracing"
)

// startTracing exports spans of every execution to the configured OTLP
// collector, following the log in background until ctx ends; the returned
// func flushes what is left. Nothing happens without
// tracing.otlp_endpoint.
func startTracing(ctx context.Context, cfg *config.Config, h *host.Host, log hclog.Logger, background *sync.WaitGroup) (func(), error) {
	t := cfg.Tracing
	if t.OTLPEndpoint == "" {
		return func() {}, nil
	}
	exp, err := tracing.NewOTLPExporter(ctx, tracing.OTLPOptions{Endpoint: t.OTLPEndpoint, Insecure: t.Insecure, Headers: t.Headers})
	if err != nil {
		return nil, err
	}
	f := tracing.NewFollower(h.Catalog(), exp, tracing.NewResource(t.ServiceName), false)
	background.Go(func() {
		if err := f.Run(ctx, h.Store()); err != nil {
			log.Warn("tracing: stopped following the log", "error", err)
		}
	})
	log.Info("tracing", "otlp_endpoint", t.OTLPEndpoint)
	return func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.Shutdown(flush); err != nil {
			log.Warn("tracing: flushing spans", "error", err)
		}
	}, nil
}
