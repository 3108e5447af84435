package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
)

// socketPath is where the daemon of cfg listens.
func socketPath(cfg *config.Config) string {
	if cfg.Control.Socket != "" {
		return cfg.Control.Socket
	}
	return filepath.Join(cfg.DataDir, "control.sock")
}

// session is a connection to a host: a running daemon, or one this process
// embeds for the duration of the command.
type session struct {
	*control.Client
	embedded bool
	close    func() error
}

func (s *session) Close() error {
	err := s.Client.Close()
	if s.close != nil {
		err = errors.Join(err, s.close())
	}
	return err
}

// connect reaches the daemon of the configured data directory. When none
// is running it opens the data directory itself and serves the same control
// API on the same socket for as long as the command runs, so every verb has
// one code path (and other terminals can watch an embedded run). With
// runEngine the embedded host also schedules work and resumes what earlier
// processes left open; without it, it only reads.
func (g *globals) connect(ctx context.Context, cfg *config.Config, runEngine bool) (*session, error) {
	sock := socketPath(cfg)
	c, err := control.Dial(ctx, sock)
	if err == nil {
		return &session{Client: c}, nil
	}
	if !errors.Is(err, control.ErrNoDaemon) {
		return nil, err
	}
	log := g.logger(cfg, "warn")
	h, err := host.Open(cfg, log, host.Options{})
	if err != nil {
		return nil, err
	}
	if runEngine {
		if err := h.Run(ctx); err != nil {
			h.Close()
			return nil, err
		}
	}
	l, err := control.Listen(sock)
	if err != nil {
		h.Close()
		return nil, err
	}
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- control.NewServer(h, log).Serve(srvCtx, l) }()
	c, err = control.Dial(ctx, sock)
	if err != nil {
		stop()
		<-served
		h.Close()
		return nil, err
	}
	return &session{Client: c, embedded: true, close: func() error {
		stop()
		return errors.Join(<-served, h.Close())
	}}, nil
}

// session loads the configuration and connects to its host; see connect.
func (g *globals) session(ctx context.Context, runEngine bool) (*config.Config, *session, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	s, err := g.connect(ctx, cfg, runEngine)
	return cfg, s, err
}

// logger builds the host's logger from the config. Verbs that print results
// on the terminal pass a quieter default, used unless the level was set.
func (g *globals) logger(cfg *config.Config, quietDefault string) hclog.Logger {
	level := cfg.LogLevel
	if quietDefault != "" && !g.root.PersistentFlags().Changed("log-level") && os.Getenv("OPENOMA_LOG_LEVEL") == "" {
		level = quietDefault
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "openoma-host",
		Level:      hclog.LevelFromString(level),
		Output:     g.stderr,
		JSONFormat: cfg.LogFormat == "json",
	})
}

func notFoundHint(err error, id string) error {
	if errors.Is(err, control.ErrNotFound) {
		return fmt.Errorf("no execution %s in this data directory", id)
	}
	return err
}
