package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/builtin"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/host/schedule"
	"github.com/openoma/openoma/host/tasks"
	"github.com/openoma/openoma/host/tracing"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/validate"
)

// Host is one running openoma runtime over one data directory.
type Host struct {
	cfg     *config.Config
	opts    Options
	log     hclog.Logger
	catalog *core.Catalog
	store   EventStore
	plugins *plugins.Manager
	router  *router.Router
	engine  *engine.Engine
	tasks   *tasks.Service
	// builtins are the adapters the host serves itself (timers, signals).
	builtins *builtinSet
	// scheduler fires schedules' ticks while the host runs.
	scheduler  *schedule.Scheduler
	background sync.WaitGroup
	// reports holds the encoded reports of settled executions.
	reports reportCache

	runOnce  sync.Once
	running  atomic.Bool // the engine runs: the host may start work
	runErr   chan error
	stopRun  context.CancelFunc
	closeErr error
	closed   sync.Once
}

// Options tune Open beyond the configuration.
type Options struct {
	// PluginDir is searched for openoma-plugin-<name> binaries before PATH;
	// empty means the directory of the running executable.
	PluginDir string
	// Schedules makes Run fire schedules' ticks. Only the daemon sets it:
	// an embedded host of a CLI verb lives for one command, and ticks it
	// fired would have runs it does not stay to see through.
	Schedules bool
}

// Open loads and validates the definitions, opens the event store (taking
// the data directory's lock) and prepares plugins and engine. Nothing runs
// until Run.
func Open(cfg *config.Config, log hclog.Logger, opts Options) (*Host, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	h := &Host{cfg: cfg, log: log, opts: opts}
	var err error
	if h.catalog, err = LoadCatalog(cfg.Definitions); err != nil {
		return nil, err
	}
	if h.router, err = NewRouter(cfg); err != nil {
		return nil, err
	}
	if err := h.router.Check(h.catalog); err != nil {
		// Not fatal: other flows can still run, and a run of an affected
		// flow fails that block with the same message. validate --config
		// reports it before anything runs.
		for _, line := range strings.Split(err.Error(), "\n") {
			log.Warn("unroutable block", "problem", line)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
	}
	if h.store, err = OpenStore(context.Background(), cfg, log); err != nil {
		return nil, err
	}
	h.tasks = tasks.New(tasks.Options{Store: h.store, Blocks: h.catalog.WorkBlock, Config: cfg.Tasks, Logger: log.Named("tasks")})
	h.plugins, err = plugins.NewManager(PluginSpecs(cfg), plugins.Options{
		Logger:            log,
		HostDir:           opts.PluginDir,
		RestartBackoff:    cfg.Engine.RestartBackoff,
		RestartBackoffMax: cfg.Engine.RestartBackoffMax,
		OnRestart: func(ctx context.Context, r plugins.Restart) error {
			return h.engine.PluginRestarted(ctx, engine.PluginRestart{Plugin: r.Plugin, DeadInstance: r.Dead.ID, Instances: h.plugins})
		},
	})
	if err != nil {
		h.store.Close()
		return nil, err
	}
	h.builtins = newBuiltins(h.store, log)
	maxConc := map[string]int{builtin.TimerName: builtinUnlimited, builtin.SignalName: builtinUnlimited}
	for _, p := range cfg.Plugins {
		if p.MaxConcurrency > 0 {
			maxConc[p.Name] = p.MaxConcurrency
		}
	}
	var roots *tracing.Roots
	if cfg.Tracing.OTLPEndpoint != "" {
		roots = tracing.NewRoots(h.store)
	}
	h.engine, err = engine.New(engine.Config{
		Catalog: h.catalog,
		Store:   h.store,
		Adapters: &engine.RoutedAdapters{
			Router:           h.router,
			ConditionsPlugin: cfg.Routing.ConditionsPlugin,
			Lookup: func(_ context.Context, name string) (sdk.Adapter, error) {
				if a, ok := h.builtins.adapter(name); ok {
					return a, nil
				}
				a, err := h.plugins.Adapter(name)
				if err == nil && name == cfg.Routing.ConditionsPlugin {
					a = h.tasks.RecordQuestions(name, a) // questions left to people become tasks
				}
				if err == nil && roots != nil {
					a = tracing.Adapter(a, roots) // plugins' spans join the run's trace
				}
				return a, err
			},
		},
		Logger:         log.Named("engine"),
		CallTimeout:    cfg.Engine.CallTimeout,
		MaxConcurrency: maxConc,
	})
	if err != nil {
		h.plugins.Close()
		h.store.Close()
		return nil, err
	}
	return h, nil
}

// LoadCatalog loads definition paths and validates them as the host runs
// them (spec invariants, references, CEL, no cycles).
func LoadCatalog(paths []string) (*core.Catalog, error) {
	if len(paths) == 0 {
		return core.NewCatalog(), nil
	}
	cat, err := core.Load(paths...)
	if err != nil {
		return nil, fmt.Errorf("definitions:\n%w", err)
	}
	if err := validate.Catalog(cat, validate.RequireRunnable()); err != nil {
		return nil, fmt.Errorf("definitions:\n%w", err)
	}
	return cat, nil
}

// NewRouter builds the hint router of a configuration.
func NewRouter(cfg *config.Config) (*router.Router, error) {
	rc := router.Config{DefaultPlugin: cfg.Routing.DefaultPlugin, Plugins: builtinRoutes()}
	for _, p := range cfg.Plugins {
		if len(p.Hints) > 0 {
			rc.Plugins = append(rc.Plugins, router.Plugin{Name: p.Name, Hints: p.Hints})
		}
	}
	r, err := router.New(rc)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return r, nil
}

// PluginSpecs converts the configured plugins for the plugin manager.
func PluginSpecs(cfg *config.Config) []plugins.Spec {
	specs := make([]plugins.Spec, 0, len(cfg.Plugins))
	for _, p := range cfg.Plugins {
		specs = append(specs, plugins.Spec{
			Name: p.Name, Path: p.Path, Args: p.Args, Env: p.Env,
			SHA256: p.SHA256, Hints: p.Hints, MaxConcurrency: p.MaxConcurrency,
			OnFirstUse: p.Start == config.PluginStartOnFirstUse,
		})
	}
	return specs
}

// StoreDir is where the event store lives inside the data directory.
func StoreDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "events") }

// StoreOptions maps the store.* configuration keys onto Badger options.
func StoreOptions(cfg *config.Config, log hclog.Logger) badger.Options {
	o := badger.DefaultOptions()
	o.Durability = badger.Durability(cfg.Store.Durability)
	o.MemTableSize = int64(cfg.Store.MemTableSizeMB) << 20
	o.BlockCacheSize = int64(cfg.Store.BlockCacheMB) << 20
	o.IndexCacheSize = int64(cfg.Store.IndexCacheMB) << 20
	o.ValueLogFileSize = int64(cfg.Store.ValueLogFileSizeMB) << 20
	o.GCInterval = cfg.Store.GCInterval
	if o.GCInterval == 0 {
		o.GCInterval = -1 // 0 in the config means off
	}
	o.MinFreeSpace = int64(cfg.Store.MinFreeSpaceMB) << 20
	if o.MinFreeSpace == 0 {
		o.MinFreeSpace = -1 // 0 in the config means off
	}
	o.Logger = log.Named("badger")
	return o
}

// Catalog returns the loaded definitions.
func (h *Host) Catalog() *core.Catalog { return h.catalog }

// Engine returns the scheduler.
func (h *Host) Engine() *engine.Engine { return h.engine }

// Store returns the event store.
func (h *Host) Store() EventStore { return h.store }

// PluginManager returns the plugin manager.
func (h *Host) PluginManager() *plugins.Manager { return h.plugins }

// Run starts the engine in the background and resumes every execution a
// previous process left open. It returns once recovery has handed every
// open execution back to the scheduler; the engine keeps running until
// Close.
func (h *Host) Run(ctx context.Context) error {
	started := false
	h.runOnce.Do(func() {
		started = true
		h.running.Store(true)
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		h.stopRun = cancel
		h.runErr = make(chan error, 1)
		go func() { h.runErr <- h.engine.Run(runCtx) }()
		if h.opts.Schedules {
			h.scheduler = schedule.NewScheduler(schedule.NewStore(h.store), h.startScheduled, h.log.Named("schedules"))
			h.background.Go(func() { h.scheduler.Run(runCtx) })
		}
	})
	if !started {
		return errors.New("host already started")
	}
	if err := h.engine.Recover(ctx); err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	return nil
}

// Close stops dispatching, waits for the engine, stops every plugin and
// closes the store. It is safe to call more than once.
func (h *Host) Close() error {
	h.closed.Do(func() {
		var errs []error
		if h.stopRun != nil {
			h.stopRun()
			if err := <-h.runErr; err != nil {
				errs = append(errs, fmt.Errorf("engine: %w", err))
			}
			h.background.Wait() // the scheduler: before the store closes
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if h.builtins != nil {
			errs = append(errs, h.builtins.shutdown(shutdown))
		}
		cancel()
		errs = append(errs, h.plugins.Close())
		if err := h.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: %w", err))
		}
		h.closeErr = errors.Join(errs...)
	})
	return h.closeErr
}
