package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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

// startWait bounds how long a verb waits for a daemon that is starting
// (it holds the serve lock but does not answer yet) before giving up.
const startWait = 2 * time.Minute

// connect reaches the daemon of the configured data directory. When none
// is running it opens the data directory itself and serves the same control
// API on the same socket for as long as the command runs, so every verb has
// one code path (and other terminals can watch an embedded run). With
// runEngine the embedded host also schedules work and resumes what earlier
// processes left open; without it, it only reads.
//
// Who serves is decided by the socket's serve lock (control.LockServe): a
// verb that finds no socket but a held lock waits for the daemon that is
// starting instead of opening the data directory under it, so `serve &`
// followed at once by any verb works.
func (g *globals) connect(ctx context.Context, cfg *config.Config, runEngine bool) (*session, error) {
	if s, remote, err := g.remoteSession(ctx); remote { // --address: that host only, never embedded
		return s, err
	}
	sock := socketPath(cfg)
	access, err := control.AccessOf(cfg.Control)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	told := false
	for {
		c, err := control.Dial(ctx, sock)
		if err == nil {
			return &session{Client: c}, nil
		}
		if !errors.Is(err, control.ErrNoDaemon) {
			return nil, err
		}
		if !runEngine && noStore(cfg) && !exists(sock+".lock") {
			// A verb that only reads must not create a data directory
			// where nothing ever ran. (With a serve lock file there, a
			// daemon may be starting: wait for it below.)
			return nil, noDataError{dir: cfg.DataDir}
		}
		lock, err := g.lockServe(sock, access)
		if err == nil {
			s, err := g.embed(ctx, cfg, access, lock, runEngine)
			if err != nil {
				lock.Release()
			}
			return s, err
		}
		var held *control.HeldError
		if !errors.As(err, &held) {
			return nil, err
		}
		waited := time.Since(started)
		if waited > startWait {
			return nil, fmt.Errorf("%s holds %s but has not served %s for %s: %w", held.Who(), held.Path, sock, startWait, control.ErrNoDaemon)
		}
		if !told && waited > time.Second {
			fmt.Fprintf(g.stderr, "openoma-host: waiting for the daemon that is starting (%s) to serve %s\n", held.Who(), sock)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lockServe takes the serve lock for an embedded host. A caller who may
// not (a member of the socket group: the data directory is not theirs)
// can still learn that a daemon is starting, and wait for it.
func (g *globals) lockServe(sock string, access control.Access) (*control.ServeLock, error) {
	lock, err := control.LockServe(sock, access, control.RoleVerb, commandLine())
	if err == nil || !errors.Is(err, os.ErrPermission) {
		return lock, err
	}
	if perr := control.ProbeServe(sock); perr != nil {
		return nil, perr
	}
	return nil, fmt.Errorf("%w (socket %s), and only its owner can start one here: %v", control.ErrNoDaemon, sock, err)
}

// commandLine describes this process for the serve lock's holder.
func commandLine() string {
	s := strings.Join(append([]string{"openoma-host"}, os.Args[1:]...), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// embed opens the data directory in this process (holding lock) and
// serves the control API on its socket for the life of the session.
func (g *globals) embed(ctx context.Context, cfg *config.Config, access control.Access, lock *control.ServeLock, runEngine bool) (*session, error) {
	sock := socketPath(cfg)
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
	l, err := control.Listen(sock, access)
	if err != nil {
		h.Close()
		return nil, err
	}
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	srv := control.NewServer(h, control.ServerOptions{Logger: log, Access: access, People: h.Tasks().People()})
	go func() { served <- srv.Serve(srvCtx, l) }()
	c, err := control.Dial(ctx, sock)
	if err != nil {
		stop()
		<-served
		h.Close()
		return nil, err
	}
	return &session{Client: c, embedded: true, close: func() error {
		stop()
		err := errors.Join(<-served, h.Close())
		lock.Release() // only once the socket is gone and the store closed
		return err
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
		return notFoundError{fmt.Errorf("no execution %s in this data directory", id)}
	}
	return err
}

// notFoundError keeps its own text and still says "not found" to --json.
type notFoundError struct{ error }

func (e notFoundError) Is(target error) bool { return target == control.ErrNotFound }

// noStore reports whether the configured embedded store has never been
// created (nothing ran with this data directory).
func noStore(cfg *config.Config) bool {
	if cfg.Store.Backend == config.BackendPostgres {
		return false
	}
	_, err := os.Stat(host.StoreDir(cfg))
	return errors.Is(err, fs.ErrNotExist)
}

// noDataError: a read-only verb found no daemon and no store.
type noDataError struct{ dir string }

func (e noDataError) Error() string {
	return fmt.Sprintf("nothing has run with data directory %s (it does not exist; no daemon serves it)", e.dir)
}

func (e noDataError) Is(target error) bool { return target == control.ErrNotFound }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
