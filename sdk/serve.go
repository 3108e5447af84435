package sdk

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/openoma/openoma/sdk/procguard"
)

// DefaultParentCheckInterval is how often a served plugin checks that the
// host that launched it is still alive.
const DefaultParentCheckInterval = 500 * time.Millisecond

// shutdownGrace bounds an adapter's Shutdown when the process is exiting.
const shutdownGrace = 5 * time.Second

// ServeOption adjusts Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger      hclog.Logger
	parentCheck time.Duration
	handshake   plugin.HandshakeConfig
	exit        func(code int)
	getParent   func() int
}

// WithLogger sets the logger Serve and the adapter's requests use. It must
// write to the process's original stderr (as NewLogger's does): the host
// reads the plugin's log lines there.
func WithLogger(l hclog.Logger) ServeOption { return func(c *serveConfig) { c.logger = l } }

// WithParentCheckInterval sets how often the plugin checks that its host is
// alive; 0 disables the check (not recommended: go-plugin alone leaves
// orphaned plugin processes behind when the host is killed).
func WithParentCheckInterval(d time.Duration) ServeOption {
	return func(c *serveConfig) { c.parentCheck = d }
}

// withHandshake overrides the handshake, so tests can build a plugin that
// speaks another protocol version.
func withHandshake(h plugin.HandshakeConfig) ServeOption {
	return func(c *serveConfig) { c.handshake = h }
}

// Serve serves adapter as an openoma plugin and returns when the host ends
// the plugin. Call it from main; it is the whole of a plugin's main:
//
//	func main() { sdk.Serve(myadapter.New()) }
//
// The process exits by itself when its host dies (checked every
// DefaultParentCheckInterval), after calling the adapter's Shutdown if it
// implements Shutdowner. Run by hand, without a host, the binary says that
// it is a plugin and exits with status 1.
func Serve(adapter Adapter, opts ...ServeOption) {
	// A plugin binary is also its own process watchdog (see procguard):
	// started as one, it is nothing else.
	procguard.RunIfGuard()
	cfg := serveConfig{
		parentCheck: DefaultParentCheckInterval,
		handshake:   Handshake,
		exit:        os.Exit,
		getParent:   os.Getppid,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = NewLogger("")
	}
	log := cfg.logger

	watchCtx, stopWatching := context.WithCancel(context.Background())
	defer stopWatching()
	if cfg.parentCheck > 0 {
		go watchParent(watchCtx, cfg.getParent, cfg.parentCheck, func() {
			log.Warn("host process is gone; plugin exiting")
			shutdown(adapter, log)
			cfg.exit(0)
		})
	}

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: cfg.handshake,
		Plugins:         plugin.PluginSet{PluginName: &AdapterPlugin{Impl: adapter, Logger: log}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return plugin.DefaultGRPCServer(append(opts, messageServerOptions()...))
		},
		Logger: log,
	})
	stopWatching()
	shutdown(adapter, log)
}

// watchParent calls gone once the process's parent changes: when the host
// dies, the plugin is re-parented (to init or a subreaper). Polling the
// parent id works on every Unix and, unlike PR_SET_PDEATHSIG, does not
// depend on which of the host's threads started the plugin.
func watchParent(ctx context.Context, getParent func() int, every time.Duration, gone func()) {
	parent := getParent()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if getParent() != parent {
				gone()
				return
			}
		}
	}
}

// shutdown gives an adapter that implements Shutdowner a bounded chance to
// stop its work before the process ends.
func shutdown(adapter Adapter, log hclog.Logger) {
	s, ok := adapter.(Shutdowner)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		log.Error("adapter shutdown failed", "error", err)
	}
}
