package plugins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Errors callers can test with errors.Is.
var (
	// ErrChecksum: the plugin binary does not match its configured sha256.
	ErrChecksum = errors.New("plugin checksum mismatch")
	// ErrUnknownPlugin: no plugin of that name is configured.
	ErrUnknownPlugin = errors.New("unknown plugin")
	// ErrHints: the plugin does not serve a hint the config routes to it.
	ErrHints = errors.New("plugin does not serve its configured hints")
	// ErrClosed: the manager is shutting down.
	ErrClosed = errors.New("plugin manager closed")
)

// Spec is one configured plugin.
type Spec struct {
	Name           string
	Path           string
	Args           []string
	Env            []string
	SHA256         string
	Hints          []string
	MaxConcurrency int
	// OnFirstUse leaves the plugin out of StartUp: it is launched when
	// first called.
	OnFirstUse bool
}

// Options tune a Manager.
type Options struct {
	Logger hclog.Logger
	// HostDir is searched for openoma-plugin-<name> binaries; empty means
	// the directory of the running executable.
	HostDir string
	// StartTimeout bounds launch and handshake.
	StartTimeout time.Duration
	// RestartBackoff is the first delay before restarting a crashed plugin;
	// it doubles per consecutive failure up to RestartBackoffMax.
	RestartBackoff    time.Duration
	RestartBackoffMax time.Duration
	// StableUptime is how long a plugin process must have run for its
	// crash to count as a one-off (restarted at once) rather than one more
	// in a series (restarted after a growing delay). Default 10s.
	StableUptime time.Duration
	// OnRestart is called each time a plugin that crashed is running
	// again, so the engine can release and resume the blocks of the dead
	// process. It runs in its own goroutine, one call at a time per
	// plugin, in the order of the crashes: two crashes in quick
	// succession are handled one after the other, never interleaved.
	OnRestart func(ctx context.Context, r Restart) error
	// StopGrace bounds how long Close waits for each plugin process to
	// stop by itself (releasing its running blocks) before killing it.
	// Default 6s.
	StopGrace time.Duration
	// DisableAutoMTLS turns off mutual TLS between host and plugins (for
	// measurements only).
	DisableAutoMTLS bool
}

// Manager starts, watches and restarts plugins. It is safe for concurrent use.
type Manager struct {
	opts   Options
	log    hclog.Logger
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	procs  map[string]*proc
	order  []string
	wg     sync.WaitGroup
	// draining is set when Close starts stopping the plugins: an exit is
	// then no crash, and nothing is launched any more.
	draining atomic.Bool
}

// NewManager prepares the configured plugins; none is launched until first
// used (or Start is called).
func NewManager(specs []Spec, opts Options) (*Manager, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.HostDir == "" {
		opts.HostDir = DefaultHostDir()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	if opts.RestartBackoff <= 0 {
		opts.RestartBackoff = 50 * time.Millisecond
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = defaultStopGrace
	}
	if opts.StableUptime <= 0 {
		opts.StableUptime = 10 * time.Second
	}
	if opts.RestartBackoffMax < opts.RestartBackoff {
		opts.RestartBackoffMax = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{opts: opts, log: opts.Logger.Named("plugins"), ctx: ctx, cancel: cancel, procs: map[string]*proc{}}
	for _, s := range specs {
		if _, dup := m.procs[s.Name]; dup {
			cancel()
			return nil, fmt.Errorf("plugin %q configured twice", s.Name)
		}
		m.procs[s.Name] = &proc{spec: s}
		m.order = append(m.order, s.Name)
	}
	return m, nil
}

// DefaultHostDir is where plugin binaries are looked for first: the
// directory of the running executable.
func DefaultHostDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

// proc is one configured plugin and its current process, if any.
type proc struct {
	spec Spec

	mu       sync.Mutex
	cur      *instance
	starting chan struct{} // non-nil while a launch is in progress
	startErr error         // result of the last launch
	restarts int
	// quickCrashes counts crashes in a row of processes that died before
	// StableUptime; it sets the delay before the next restart.
	quickCrashes int
	lastExit     string
	path         string
	// lastRestart is closed when the latest OnRestart call has returned;
	// the next one waits for it, which keeps them in order.
	lastRestart chan struct{}

	hands handRecord
}

type instance struct {
	id      Instance
	client  *plugin.Client
	runner  *procRunner
	adapter sdk.Adapter
	info    sdk.Info
	started time.Time

	storesMu sync.Mutex
	stores   map[store.EventStore]*stampingStore // see storeFor

	calls sync.WaitGroup // calls in flight on this process (see acquire)
}

// Adapter returns the plugin as an sdk.Adapter. The value stays valid
// across restarts: each call goes to the plugin's current process and
// launches it if it is not running.
func (m *Manager) Adapter(name string) (sdk.Adapter, error) {
	if _, ok := m.procs[name]; !ok {
		return nil, fmt.Errorf("%w %q (configured: %s)", ErrUnknownPlugin, name, strings.Join(m.order, ", "))
	}
	return &proxy{m: m, name: name}, nil
}

// Start launches every configured plugin now rather than on first use, and
// returns every launch error.
func (m *Manager) Start(ctx context.Context) error {
	var errs []error
	for _, name := range m.order {
		if _, err := m.instance(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// instance returns the running process of a plugin, launching it if needed.
// Concurrent callers share one launch.
func (m *Manager) instance(ctx context.Context, name string) (*instance, error) {
	p, ok := m.procs[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownPlugin, name)
	}
	for {
		if m.ctx.Err() != nil || m.draining.Load() {
			return nil, ErrClosed
		}
		p.mu.Lock()
		if p.cur != nil {
			inst := p.cur
			p.mu.Unlock()
			return inst, nil
		}
		if wait := p.starting; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			p.mu.Lock()
			err := p.startErr
			p.mu.Unlock()
			if err != nil {
				return nil, err
			}
			continue
		}
		done := make(chan struct{})
		p.starting = done
		p.mu.Unlock()

		inst, err := m.launch(ctx, p)
		p.mu.Lock()
		if err == nil && m.ctx.Err() != nil {
			// Close ran while this launch was in flight: do not leave a
			// process behind it.
			inst.client.Kill()
			inst, err = nil, ErrClosed
		}
		p.starting, p.startErr = nil, err
		if err == nil {
			p.cur = inst
			m.wg.Add(1) // under p.mu, before Close can see p.cur and Wait
		}
		p.mu.Unlock()
		close(done)
		if err != nil {
			return nil, err
		}
		go m.watch(p, inst)
		return inst, nil
	}
}

// launch starts one process of p and checks it with Describe.
func (m *Manager) launch(ctx context.Context, p *proc) (*instance, error) {
	spec := p.spec
	path, err := Resolve(spec, m.opts.HostDir)
	if err != nil {
		return nil, err
	}
	if err := VerifyChecksum(spec, path); err != nil {
		m.log.Error("refusing plugin", "plugin", spec.Name, "path", path, "error", err)
		return nil, err
	}
	var run *procRunner
	cc := sdk.ClientConfig(nil, m.opts.Logger.Named(spec.Name))
	cc.AutoMTLS = !m.opts.DisableAutoMTLS
	cc.StartTimeout = m.opts.StartTimeout
	// sdk.ClientConfig lifts gRPC's 4 MiB message limit to
	// sdk.MaxMessageBytes on this connection (and the sdk does on the
	// brokered store), so inputs and outputs of up to 64 MiB get through.
	// go-plugin hands a RunnerFunc a command with no path, only the
	// environment of its handshake (and, being exclusive with Cmd, it
	// cannot check SecureConfig itself: VerifyChecksum above does).
	cc.RunnerFunc = func(_ hclog.Logger, proto *exec.Cmd, _ string) (runner.Runner, error) {
		cmd := exec.Command(path, spec.Args...)
		cmd.Env = append(proto.Env, spec.Env...)
		cmd.Stdin = proto.Stdin
		r, err := newProcRunner(cmd)
		run = r
		return r, err
	}
	client := plugin.NewClient(cc)
	fail := func(err error) (*instance, error) {
		client.Kill()
		return nil, fmt.Errorf("plugin %q (%s): %w", spec.Name, path, err)
	}
	adapter, err := sdk.Dispense(client)
	if err != nil {
		return fail(run.startFailure(err))
	}
	dctx, cancel := context.WithTimeout(ctx, m.opts.StartTimeout)
	info, err := adapter.Describe(dctx)
	cancel()
	if err != nil {
		return fail(run.startFailure(fmt.Errorf("describe: %w", err)))
	}
	if missing := missingHints(spec.Hints, info.Hints); len(missing) > 0 {
		return fail(&HintsError{Missing: missing, Served: info.Hints})
	}
	p.mu.Lock()
	p.path = path
	p.mu.Unlock()
	pid, _ := strconv.Atoi(run.ID())
	started := time.Now()
	id := Instance{Plugin: spec.Name, ID: uuid.NewString(), PID: pid, Started: started}
	m.log.Info("plugin started", "plugin", spec.Name, "path", path, "pid", run.ID(), "instance", id.ID, "version", info.Version)
	return &instance{id: id, client: client, runner: run, adapter: adapter, info: info, started: started}, nil
}

// missingHints returns the configured hints the plugin does not serve.
func missingHints(configured, served []string) []string {
	if slices.Contains(served, "*") {
		return nil
	}
	var out []string
	for _, h := range configured {
		if h != "*" && !slices.Contains(served, h) {
			out = append(out, h)
		}
	}
	return out
}

// watch waits for inst's process to end. An exit the manager did not cause
// is a crash: the plugin is restarted with backoff and OnRestart is called.
func (m *Manager) watch(p *proc, inst *instance) {
	defer m.wg.Done()
	select {
	case <-inst.runner.exited:
	case <-m.ctx.Done():
		inst.client.Kill()
		return
	}
	p.mu.Lock()
	if p.cur == inst {
		p.cur = nil
	}
	p.lastExit = exitReason(inst.runner.err)
	// A process that stayed up a while had a one-off crash; one that dies
	// soon after starting (say, on the block it is asked to resume) would
	// otherwise be restarted in a tight loop, each round appending a
	// release and an assignment to the log for ever.
	if time.Since(inst.started) >= m.opts.StableUptime {
		p.quickCrashes = 0
	} else {
		p.quickCrashes++
	}
	crashes := p.quickCrashes
	p.mu.Unlock()
	inst.client.Kill() // releases go-plugin's goroutines and temp files
	if m.ctx.Err() != nil || m.draining.Load() {
		return // stopped by Close
	}
	m.log.Error("plugin exited unexpectedly", "plugin", p.spec.Name, "pid", inst.runner.ID(),
		"instance", inst.id.ID, "reason", p.lastExit, "quick_crashes_in_a_row", crashes)
	m.restart(p, crashes, inst)
}

// restartDelay is the wait before relaunching a plugin after its n-th quick
// crash in a row: none after a one-off crash (n = 0), then base, doubling
// up to ceiling.
func restartDelay(n int, base, ceiling time.Duration) time.Duration {
	if n == 0 {
		return base
	}
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func exitReason(err error) string {
	if err == nil {
		return "exited with status 0"
	}
	return err.Error()
}

// restart relaunches p. A plugin that ran for a while before crashing is
// restarted at once; one that keeps crashing soon after its start, or
// fails to launch, waits longer each time (doubling, up to
// RestartBackoffMax).
func (m *Manager) restart(p *proc, quickCrashes int, dead *instance) {
	delay := restartDelay(quickCrashes, m.opts.RestartBackoff, m.opts.RestartBackoffMax)
	first := quickCrashes == 0
	for {
		if !first {
			select {
			case <-time.After(delay):
			case <-m.ctx.Done():
				return
			}
			delay = min(delay*2, m.opts.RestartBackoffMax)
		}
		first = false
		live, err := m.instance(m.ctx, p.spec.Name)
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			m.log.Error("plugin restart failed", "plugin", p.spec.Name, "retry_in", delay, "error", err)
			continue
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		m.notifyRestart(p, dead, live)
		return
	}
}

// notifyRestart calls OnRestart in its own goroutine, after the calls for
// the plugin's earlier crashes have returned and the calls that were made
// on the dead process have ended (they fail at once, the connection being
// gone): a block one of them was handing over is then in the hand record
// when the engine reads it.
func (m *Manager) notifyRestart(p *proc, dead, live *instance) {
	if m.opts.OnRestart == nil {
		return
	}
	r := Restart{Plugin: p.spec.Name, Dead: dead.id, Live: live.id}
	p.mu.Lock()
	previous := p.lastRestart
	done := make(chan struct{})
	p.lastRestart = done
	p.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		if previous != nil {
			select {
			case <-previous:
			case <-m.ctx.Done():
				return
			}
		}
		if !dead.callsEnded(m.ctx, m.opts.StartTimeout) && m.ctx.Err() == nil {
			m.log.Warn("calls to a dead plugin process have not returned; resuming its blocks anyway",
				"plugin", r.Plugin, "dead_instance", r.Dead.ID)
		}
		if err := m.opts.OnRestart(m.ctx, r); err != nil {
			if m.ctx.Err() == nil {
				m.log.Error("resuming the blocks of a restarted plugin", "plugin", r.Plugin, "dead_instance", r.Dead.ID, "error", err)
			}
			return
		}
		// What the dead process was given is now handed on or has ended:
		// its entries would only linger (the blocks the host itself ended).
		p.hands.forgetInstance(r.Dead.ID)
	}()
}

// Close stops every plugin and waits for the watchers to finish. Each
// running process is first asked to stop and given StopGrace to release
// its blocks (see drain); what is still running then is killed.
func (m *Manager) Close() error {
	m.drain()
	m.cancel()
	// A launch that finishes now sees the cancelled context under p.mu;
	// taking each lock once makes sure none is half-way through adding
	// its watcher while Wait runs.
	for _, p := range m.procs {
		p.mu.Lock()
		p.mu.Unlock() //nolint:staticcheck // an empty critical section is the point
	}
	m.wg.Wait()
	for _, p := range m.procs {
		p.mu.Lock()
		if p.cur != nil {
			p.cur.client.Kill()
			p.cur = nil
		}
		p.mu.Unlock()
	}
	return nil
}
