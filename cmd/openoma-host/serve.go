package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/metrics"
	"github.com/openoma/openoma/store/badger"
)

func newServeCommand(g *globals) *cobra.Command {
	var lockWait time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon until SIGTERM or SIGINT",
		Long: `serve opens the data directory (holding its lock), resumes every execution a
previous process left open, and serves the control API on a unix socket for
the other verbs: mode 0600 for the daemon's user and root, or 0660 for a
control.socket_group as well; every peer is checked again by its OS
credentials. SIGTERM or SIGINT stop it gracefully: no new dispatches,
plugins stopped, the store closed.

When a CLI verb has the data directory open (it found no daemon and ran an
embedded host), serve says so and waits for it, up to --lock-wait. Verbs
started while serve starts wait for its socket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), g, cfg, lockWait)
		},
	}
	cmd.Flags().DurationVar(&lockWait, "lock-wait", time.Minute, "how long to wait for a CLI verb that holds the data directory")
	return cmd
}

func serve(ctx context.Context, g *globals, cfg *config.Config, lockWait time.Duration) error {
	log := g.logger(cfg, "")
	sock := socketPath(cfg)
	access, err := control.AccessOf(cfg.Control)
	if err != nil {
		return err
	}
	// The serve lock first: from here on, verbs wait for this daemon's
	// socket instead of opening the data directory themselves.
	lock, err := control.WaitServe(ctx, sock, access, commandLine(), lockWait, func(holder string, waited time.Duration) {
		log.Warn("waiting for another openoma-host to release the data directory", "held_by", holder,
			"waited", waited.Round(time.Second), "up_to", lockWait)
	})
	if err != nil {
		return err
	}
	defer lock.Release()
	h, err := openHost(ctx, cfg, log, lockWait)
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
	if cfg.Metrics.Address != "" {
		stopMetrics, err := serveMetrics(runCtx, cfg.Metrics.Address, h, log, &background)
		if err != nil {
			return err
		}
		defer stopMetrics()
		log.Info("metrics", "url", "http://"+cfg.Metrics.Address+"/metrics")
	}
	stopTracing, err := startTracing(runCtx, cfg, h, log, &background)
	if err != nil {
		return err
	}
	defer stopTracing()
	if cfg.Inbox.Address != "" {
		stopInbox, err := serveInbox(runCtx, cfg, h, log)
		if err != nil {
			return err
		}
		defer stopInbox()
	}
	background.Go(func() { h.Tasks().Run(runCtx) }) // escalation of overdue tasks, when configured
	started := time.Now()
	startPlugins(runCtx, h, log)
	if err := h.Run(runCtx); err != nil {
		return err
	}
	// The socket only once the engine runs: a verb that connects can run
	// work at once (until then it waits, holding nothing).
	l, err := control.Listen(sock, access)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	srv := control.NewServer(h, control.ServerOptions{Logger: log, Access: access, People: h.Tasks().People()})
	background.Go(func() { served <- srv.Serve(runCtx, l) })
	if err := serveNetwork(runCtx, cfg, h, srv, log, &background); err != nil {
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

// openHost opens the host, waiting up to lockWait while another process
// that does not take the serve lock (restore, or an older openoma-host)
// holds the data directory.
func openHost(ctx context.Context, cfg *config.Config, log hclog.Logger, lockWait time.Duration) (*host.Host, error) {
	deadline := time.Now().Add(lockWait)
	told := false
	for {
		h, err := host.Open(cfg, log, host.Options{Schedules: true})
		if !errors.Is(err, badger.ErrLocked) || time.Now().After(deadline) {
			return h, err
		}
		if !told {
			log.Warn("waiting for the data directory", "reason", err, "up_to", lockWait)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serveMetrics exposes Prometheus metrics: Go runtime and process metrics,
// the event store's counters, the executions read from the log (a
// recorder that follows the store until ctx ends, in background), plugin
// health and people's tasks.
func serveMetrics(ctx context.Context, addr string, h *host.Host, log hclog.Logger, background *sync.WaitGroup) (func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(host.NewStoreCollector(h.Store()))
	rec := metrics.New(h.Catalog())
	reg.MustRegister(rec, metrics.NewPluginCollector(h.PluginManager().Status), metrics.NewTaskCollector(h.Tasks()),
		metrics.NewDispatchCollector(func() map[string]metrics.Dispatch {
			out := map[string]metrics.Dispatch{}
			for plugin, b := range h.Engine().DispatchStats() {
				out[plugin] = metrics.Dispatch{Running: b.Running, Queued: b.Queued}
			}
			return out
		}))
	background.Go(func() {
		if err := rec.Run(ctx, h.Store()); err != nil {
			log.Warn("metrics: the execution metrics stopped following the log", "error", err)
		}
	})
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
