package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
)

func newServeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon until SIGTERM or SIGINT",
		Long: `serve opens the data directory (holding its lock), resumes every execution a
previous process left open, and serves the control API on a unix socket
(mode 0600) for the other verbs. SIGTERM or SIGINT stop it gracefully: no new
dispatches, plugins stopped, the store closed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), g, cfg)
		},
	}
}

func serve(ctx context.Context, g *globals, cfg *config.Config) error {
	log := g.logger(cfg, "")
	h, err := host.Open(cfg, log, host.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if err := h.Close(); err != nil {
			log.Error("shutdown", "error", err)
		}
		log.Info("stopped")
	}()
	// Everything below stops with runCtx, which is cancelled (and waited
	// for) before the deferred h.Close above runs: no handler or timer
	// outlives the store.
	runCtx, stop := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() {
		stop()
		background.Wait()
	}()
	sock := socketPath(cfg)
	l, err := control.Listen(sock)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	background.Go(func() { served <- control.NewServer(h, log).Serve(runCtx, l) })
	if cfg.Metrics.Address != "" {
		stopMetrics, err := serveMetrics(cfg.Metrics.Address, h)
		if err != nil {
			return err
		}
		defer stopMetrics()
		log.Info("metrics", "url", "http://"+cfg.Metrics.Address+"/metrics")
	}
	if cfg.Inbox.Address != "" {
		stopInbox, err := serveInbox(runCtx, cfg, h, log)
		if err != nil {
			return err
		}
		defer stopInbox()
	}
	background.Go(func() { h.Tasks().Run(runCtx) }) // escalation of overdue tasks, when configured
	started := time.Now()
	if err := h.Run(runCtx); err != nil {
		return err
	}
	b, f, k := h.Catalog().Counts()
	log.Info("serving", "socket", sock, "data_dir", cfg.DataDir, "work_blocks", b, "flows", f, "contracts", k,
		"recovered_in", time.Since(started).Round(time.Millisecond))
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		stop()
		return <-served
	case err := <-served:
		// The control API stopped on its own: without it the daemon cannot
		// be reached, so stop rather than run on deaf.
		if err == nil {
			err = errors.New("control API stopped")
		}
		return err
	}
}

// serveMetrics exposes Prometheus metrics: Go runtime and process metrics,
// and the event store's counters.
func serveMetrics(addr string, h *host.Host) (func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(host.NewStoreCollector(h.Store()))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener was closed by shutdown
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
