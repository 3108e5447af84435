package host_test

// Benchmarks of the whole host: engine + Badger store + a real plugin
// subprocess (issue 5, "Figures to measure"). Figures and commands are in
// docs/benchmarks.md (host section).
//
// The plugin is this test binary itself, started by the host's plugin
// manager with OPENOMA_HOST_BENCH_MODE=plugin (see TestMain): an echo
// adapter like host/plugins/internal/testplugin that can also hold blocks
// open and report, over a unix socket, when it has been asked to execute or
// resume a given number of blocks — which is how a benchmark learns that a
// recovering host has resumed every block, without any cooperation from
// the host. Nothing is built or prepared unless a benchmark runs.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store/badger"
)

// Environment of the test binary's roles.
const (
	modeEnv   = "OPENOMA_HOST_BENCH_MODE"   // plugin | recover
	notifyEnv = "OPENOMA_HOST_BENCH_NOTIFY" // unix socket the plugin reports to
	targetEnv = "OPENOMA_HOST_BENCH_TARGET" // report when this many calls were made
	holdEnv   = "OPENOMA_HOST_BENCH_HOLD"   // "1": ExecuteBlock begins the block and leaves it open
	resumeEnv = "OPENOMA_HOST_BENCH_RESUME" // "finish": ResumeBlock completes the block; else it only counts
	configEnv = "OPENOMA_HOST_BENCH_CONFIG" // recover mode: JSON config.Config
	// recover mode: write a CPU profile of the recovering host here
	cpuProfileEnv = "OPENOMA_HOST_BENCH_CPUPROFILE"
	benchHints    = "bench"
)

func TestMain(m *testing.M) {
	mode := os.Getenv(modeEnv)
	// Not inherited by the processes this one starts: go-plugin passes the
	// environment on, and each child gets its own mode explicitly.
	_ = os.Unsetenv(modeEnv)
	switch mode {
	case "":
		code := m.Run()
		if prepared.root != "" {
			os.RemoveAll(prepared.root)
		}
		if testPlugin.path != "" {
			os.RemoveAll(filepath.Dir(testPlugin.path))
		}
		os.Exit(code)
	case "plugin":
		sdk.Serve(newBenchAdapter())
	case "recover":
		os.Exit(recoverAndReport())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s %q\n", modeEnv, mode)
		os.Exit(2)
	}
}

// benchAdapter is the plugin side.
type benchAdapter struct {
	sdk.NoConditions
	tasks    sdk.Tasks
	hold     bool
	finish   bool
	target   int64
	executed atomic.Int64
	resumed  atomic.Int64
	notify   func(what string)
}

func newBenchAdapter() *benchAdapter {
	a := &benchAdapter{hold: os.Getenv(holdEnv) == "1", finish: os.Getenv(resumeEnv) == "finish"}
	a.target, _ = strconv.ParseInt(os.Getenv(targetEnv), 10, 64)
	a.notify = func(string) {}
	if path := os.Getenv(notifyEnv); path != "" {
		var mu sync.Mutex
		a.notify = func(what string) {
			mu.Lock()
			defer mu.Unlock()
			if c, err := net.Dial("unix", path); err == nil {
				fmt.Fprintln(c, what)
				c.Close()
			}
		}
	}
	return a
}

func (a *benchAdapter) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "hostbench", Version: "0.0.1", Hints: []string{benchHints}}, nil
}

func (a *benchAdapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	em := req.Emitter(sdk.System("hostbench"))
	if a.hold {
		if err := em.Begin(ctx); err != nil {
			return uuid.Nil, err
		}
		if a.executed.Add(1) == a.target {
			a.notify("executed")
		}
		return req.ExecutionID, nil
	}
	a.tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) {
		_ = em.Run(ctx, func(context.Context) (map[string]any, error) { return req.Inputs, nil })
	})
	return req.ExecutionID, nil
}

func (a *benchAdapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	if a.resumed.Add(1) == a.target {
		defer a.notify("resumed")
	}
	if !a.finish {
		return nil
	}
	em, _, err := req.Emitter(ctx, sdk.System("hostbench"))
	if err != nil {
		return err
	}
	a.tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) { _ = em.Finish(ctx, map[string]any{"x": 1}) })
	return nil
}

func (a *benchAdapter) CancelBlock(_ context.Context, req sdk.CancelRequest) error {
	a.tasks.Cancel(req.ExecutionID, req.Reason)
	return nil
}

// notifications receives the plugin's reports.
type notifications struct {
	path string
	ln   net.Listener
	ch   chan string
}

func listen(tb testing.TB) *notifications {
	tb.Helper()
	n, err := listenProcess()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.ln.Close(); os.RemoveAll(filepath.Dir(n.path)) })
	return n
}

func (n *notifications) serve() {
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		n.ch <- strings.TrimSpace(line)
	}
}

func (n *notifications) wait(what string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		select {
		case got := <-n.ch:
			if got == what {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("the plugin did not report %q within %s", what, timeout)
		}
	}
}

// benchConfig is a host configuration with the bench plugin serving every
// block; env is added to the plugin's environment.
func benchConfig(tb testing.TB, dataDir, defs string, durability string, maxConcurrency int, env ...string) *config.Config {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	cfg.Definitions = []string{defs}
	cfg.Store.Durability = durability
	cfg.Store.GCInterval = 0
	cfg.Engine.RestartBackoff = 10 * time.Millisecond
	cfg.Plugins = []config.Plugin{{
		Name: "bench", Path: exe, Hints: []string{benchHints}, MaxConcurrency: maxConcurrency,
		Env: append([]string{modeEnv + "=plugin"}, env...),
	}}
	return &cfg
}

// openHost opens and runs a host; its log is discarded (the benchmarks
// check outcomes, and kill plugins on purpose).
func openHost(tb testing.TB, cfg *config.Config) *host.Host {
	tb.Helper()
	return openHostLogging(tb, cfg, hclog.NewNullLogger())
}

func openHostLogging(tb testing.TB, cfg *config.Config, log hclog.Logger) *host.Host {
	tb.Helper()
	h, err := host.Open(cfg, log, host.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := h.Run(context.Background()); err != nil {
		h.Close()
		tb.Fatal(err)
	}
	return h
}

// writeDefs writes one YAML file of definitions and returns its directory.
func writeDefs(tb testing.TB, yaml string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "defs.yaml"), []byte(yaml), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

const noopBlock = `kind: work_block
name: Noop
description: does nothing; the plugin echoes its inputs
inputs: [{name: x, description: passed on, required: false}]
outputs: [{name: x, description: the input}]
execution_hints: [bench]
---
`

// chainDefs is a flow of n Noop blocks in a line.
func chainDefs(n int) string {
	var b strings.Builder
	b.WriteString(noopBlock + "kind: flow\nname: Chain\nnodes:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {alias: n%d, block: Noop@1}\n", i)
	}
	b.WriteString("edges:\n  - {to: n0}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - {from: n%d, to: n%d}\n", i-1, i)
	}
	return b.String()
}

// fanDefs is a flow of n Noop blocks, each an entry node.
func fanDefs(n int) string {
	var b strings.Builder
	b.WriteString(noopBlock + "kind: flow\nname: Fan\nnodes:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {alias: n%d, block: Noop@1}\n", i)
	}
	b.WriteString("edges:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {to: n%d}\n", i)
	}
	return b.String()
}

// runFlow starts a flow and waits for it to complete.
func runFlow(b *testing.B, h *host.Host, name string) {
	ctx := context.Background()
	id, err := h.Start(ctx, name, map[string]any{"x": 1})
	if err != nil {
		b.Fatal(err)
	}
	if s, err := h.Engine().Wait(ctx, id); err != nil || s != execution.StateCompleted {
		b.Fatalf("flow %s ended %s (%v)", name, s, err)
	}
}

// BenchmarkHostChain is figure 1: a sequential chain of 1,000 no-op blocks
// through the real plugin subprocess, per durability mode. One iteration is
// one run of the whole chain; ns/block is what the goal is about.
func BenchmarkHostChain(b *testing.B) {
	const n = 1000
	defs := writeDefs(b, chainDefs(n))
	for _, durability := range []string{config.DurabilitySync, config.DurabilityAsync} {
		b.Run("store="+durability, func(b *testing.B) {
			h := openHost(b, benchConfig(b, b.TempDir(), defs, durability, 0))
			defer h.Close()
			runFlow(b, h, "Chain") // the plugin's start is not per-block cost
			cpu0, st0 := cpuTime(), h.Store().Stats()
			for b.Loop() {
				runFlow(b, h, "Chain")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/block")
			reportPerBlock(b, h, b.N*n, cpu0, st0)
		})
	}
}

// BenchmarkHostFanOut is figure 2: one flow of 1,000 independent blocks,
// sync store, at the engine's default max_concurrency (16), at 64, and with
// the plugin allowed all 1,000 at once; and, for comparison, async.
func BenchmarkHostFanOut(b *testing.B) {
	const n = 1000
	defs := writeDefs(b, fanDefs(n))
	variants := []struct {
		durability string
		limit      int
	}{
		{config.DurabilitySync, 16}, {config.DurabilitySync, 64}, {config.DurabilitySync, 1000},
		// not a goal: shows what the sync figures pay for durability
		{config.DurabilityAsync, 1000},
	}
	for _, v := range variants {
		b.Run(fmt.Sprintf("store=%s/max_concurrency=%d", v.durability, v.limit), func(b *testing.B) {
			h := openHost(b, benchConfig(b, b.TempDir(), defs, v.durability, v.limit))
			defer h.Close()
			runFlow(b, h, "Fan")
			cpu0, st0 := cpuTime(), h.Store().Stats()
			for b.Loop() {
				runFlow(b, h, "Fan")
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "blocks/s")
			reportPerBlock(b, h, b.N*n, cpu0, st0)
		})
	}
}

// BenchmarkHostPluginKill is figure 4: kill -9 the plugin while it holds
// open blocks; measured from the kill to the restarted process having been
// asked to resume every one of them (ms-to-resumed), and to the blocks'
// flow having completed (ms-to-completed: the new process finishes each
// resumed block).
func BenchmarkHostPluginKill(b *testing.B) {
	for _, blocks := range []int{1, 100} {
		b.Run(fmt.Sprintf("open_blocks=%d", blocks), func(b *testing.B) {
			notes := listen(b)
			defs := writeDefs(b, fanDefs(blocks))
			cfg := benchConfig(b, b.TempDir(), defs, config.DurabilitySync, blocks,
				holdEnv+"=1", resumeEnv+"=finish", notifyEnv+"="+notes.path, targetEnv+"="+strconv.Itoa(blocks))
			tl := &timeline{}
			h := openHostLogging(b, cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: tl, JSONFormat: true}))
			defer h.Close()
			ctx := context.Background()
			var exitSeen, started, resumeDone, resumed, completed []time.Duration
			for b.Loop() {
				b.StopTimer()
				id, err := h.Start(ctx, "Fan", nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := notes.wait("executed", time.Minute); err != nil {
					b.Fatal(err)
				}
				pid := pluginPID(b, h)
				tl.reset()
				b.StartTimer()
				killed := time.Now()
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					b.Fatal(err)
				}
				if err := notes.wait("resumed", time.Minute); err != nil {
					b.Fatal(err)
				}
				resumed = append(resumed, time.Since(killed))
				if s, err := h.Engine().Wait(ctx, id); err != nil || s != execution.StateCompleted {
					b.Fatalf("flow ended %s (%v)", s, err)
				}
				completed = append(completed, time.Since(killed))
				b.StopTimer()
				exitSeen = append(exitSeen, tl.since(killed, msgExited))
				started = append(started, tl.since(killed, msgStarted))
				resumeDone = append(resumeDone, tl.since(killed, msgResumed))
				b.StartTimer()
			}
			b.ReportMetric(msMedian(exitSeen), "ms-to-exit-seen")
			b.ReportMetric(msMedian(started), "ms-to-plugin-started")
			b.ReportMetric(msMedian(resumed), "ms-to-resumed")
			b.ReportMetric(msMedian(resumeDone), "ms-to-resume-calls-returned")
			b.ReportMetric(msMedian(completed), "ms-to-completed")
		})
	}
}

// reportPerBlock reports the host's CPU time and the store's work per block
// since cpu0 and st0.
func reportPerBlock(b *testing.B, h *host.Host, blocks int, cpu0 time.Duration, st0 badger.Stats) {
	st := h.Store().Stats()
	per := func(v uint64) float64 { return float64(v) / float64(blocks) }
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(blocks), "host-cpu-ns/block")
	b.ReportMetric(per(st.Appends-st0.Appends), "appends/block")
	b.ReportMetric(per(st.Commits-st0.Commits), "commits/block")
	b.ReportMetric(per(st.Events-st0.Events), "events/block")
}

// Log messages the plugin-kill benchmark times (plugins.Manager and
// engine.PluginRestarted).
const (
	msgExited  = "plugin exited unexpectedly"
	msgStarted = "plugin started"
	msgResumed = "resumed the blocks of a restarted plugin" // after every ResumeBlock returned
)

// timeline is a log output that notes when each message was first logged.
type timeline struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (t *timeline) Write(p []byte) (int, error) {
	now := time.Now()
	var line struct {
		Message string `json:"@message"`
	}
	if json.Unmarshal(p, &line) == nil {
		t.mu.Lock()
		if _, ok := t.seen[line.Message]; !ok && t.seen != nil {
			t.seen[line.Message] = now
		}
		t.mu.Unlock()
	}
	return len(p), nil
}

func (t *timeline) reset() {
	t.mu.Lock()
	t.seen = map[string]time.Time{}
	t.mu.Unlock()
}

// since is how long after from msg was logged (-1 ms if it was not).
func (t *timeline) since(from time.Time, msg string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.seen[msg]
	if !ok {
		return -time.Millisecond
	}
	return at.Sub(from)
}

func pluginPID(b *testing.B, h *host.Host) int {
	for _, s := range h.PluginManager().Status() {
		if s.Name == "bench" && s.Running {
			return s.PID
		}
	}
	b.Fatalf("plugin not running: %+v", h.PluginManager().Status())
	return 0
}

func msMedian(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// cpuTime is this process's CPU time (user + system); the plugin's is not
// in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKiB reads VmRSS (or another field) of a process's status.
func rssKiB(pid, field string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kib
		}
	}
	return 0
}

// openExecutions is how many open flow executions the recovery benchmark
// leaves behind, each with its single block started by the plugin.
const openExecutions = 10000

// prepared caches the data directory with the open executions across the
// runs of -count, since preparing it takes far longer than measuring it.
var prepared struct {
	sync.Mutex
	root, dir, defs string
}

// prepareOpenExecutions has a real host start openExecutions one-block
// flows on a plugin that begins each block and never ends it, then closes
// the host: what a host killed mid-work leaves in its data directory,
// written by the engine itself.
func prepareOpenExecutions(b *testing.B) (dataDir, defs string) {
	prepared.Lock()
	defer prepared.Unlock()
	if prepared.dir != "" {
		return prepared.dir, prepared.defs
	}
	root, err := os.MkdirTemp("", "hostbench-recover")
	if err != nil {
		b.Fatal(err)
	}
	defs = filepath.Join(root, "defs")
	if err := os.MkdirAll(defs, 0o755); err != nil {
		b.Fatal(err)
	}
	one := noopBlock + "kind: flow\nname: One\nnodes:\n  - {alias: only, block: Noop@1}\nedges:\n  - {to: only}\n"
	if err := os.WriteFile(filepath.Join(defs, "defs.yaml"), []byte(one), 0o644); err != nil {
		b.Fatal(err)
	}
	dataDir = filepath.Join(root, "data")
	notes := listen(b)
	// async and an unbounded plugin only to prepare faster; the measured
	// host runs with the defaults (sync).
	cfg := benchConfig(b, dataDir, defs, config.DurabilityAsync, openExecutions,
		holdEnv+"=1", notifyEnv+"="+notes.path, targetEnv+"="+strconv.Itoa(openExecutions))
	h := openHost(b, cfg)
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for range 32 {
		wg.Go(func() {
			for next.Add(1) <= openExecutions {
				if _, err := h.Start(context.Background(), "One", nil); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	if err := notes.wait("executed", 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	if err := h.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("prepared %d open flow executions in %v", openExecutions, time.Since(start))
	prepared.root, prepared.dir, prepared.defs = root, dataDir, defs
	return dataDir, defs
}

// recoverResult is what a recovering host process reports.
type recoverResult struct {
	OpenMS    float64 `json:"open_ms"`    // host.Open: definitions, store, plugin manager, engine
	RecoverMS float64 `json:"recover_ms"` // Open + Run (Recover returned)
	ResumedMS float64 `json:"resumed_ms"` // Open until the plugin had its 10,000th ResumeBlock call
	CPUMS     float64 `json:"cpu_ms"`     // the host's CPU time (user+sys) over that span
	RSSMiB    float64 `json:"rss_mib"`    // host's VmRSS right after
	HWMMiB    float64 `json:"hwm_mib"`    // host's peak RSS so far
	HeapMiB   float64 `json:"heap_mib"`   // Go heap in use
	PluginMiB float64 `json:"plugin_mib"` // the plugin process's VmRSS
}

// BenchmarkHostRecover is figures 3 and 5: a fresh host process opens a
// data directory with 10,000 open flow executions (each with a started
// block) and recovers them, with the default configuration (sync store,
// default max_concurrency). Each iteration is a new process, so its RSS is
// the host's alone: no benchmark state, no preparation garbage.
func BenchmarkHostRecover(b *testing.B) {
	dataDir, defs := prepareOpenExecutions(b)
	// 16 MiB is the configured default; the store (13 MiB of compressed
	// tables) does not fit into it decompressed.
	for _, cacheMB := range []int{16, 64} {
		b.Run(fmt.Sprintf("block_cache_mb=%d", cacheMB), func(b *testing.B) {
			cfg := benchConfig(b, dataDir, defs, config.DurabilitySync, 0, targetEnv+"="+strconv.Itoa(openExecutions))
			cfg.Store.BlockCacheMB = cacheMB
			benchmarkRecover(b, cfg)
		})
	}
}

func benchmarkRecover(b *testing.B, cfg *config.Config) {
	cfgFile := filepath.Join(b.TempDir(), "config.json")
	data, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, data, 0o644); err != nil {
		b.Fatal(err)
	}
	exe, _ := os.Executable()
	var results []recoverResult
	for b.Loop() {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), modeEnv+"=recover", configEnv+"="+cfgFile)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("recovering host: %v\n%s", err, stderr.String())
		}
		var r recoverResult
		if err := json.Unmarshal(out, &r); err != nil {
			b.Fatalf("recovering host printed %q: %v\n%s", out, err, stderr.String())
		}
		results = append(results, r)
	}
	median := func(f func(recoverResult) float64) float64 {
		v := make([]float64, len(results))
		for i, r := range results {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(func(r recoverResult) float64 { return r.OpenMS }), "ms-open")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.RecoverMS }), "ms-recover-returned")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.ResumedMS }), "ms-all-resumed")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.CPUMS }), "host-cpu-ms")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.RSSMiB }), "host-RSS-MiB")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.HWMMiB }), "host-peak-RSS-MiB")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.HeapMiB }), "host-heap-MiB")
	b.ReportMetric(median(func(r recoverResult) float64 { return r.PluginMiB }), "plugin-RSS-MiB")
}

// recoverAndReport is the recovering host process of BenchmarkHostRecover:
// it prints one recoverResult as JSON on stdout.
func recoverAndReport() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	data, err := os.ReadFile(os.Getenv(configEnv))
	if err != nil {
		return fail(err)
	}
	var cfg config.Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fail(err)
	}
	notes, err := listenProcess()
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(filepath.Dir(notes.path))
	cfg.Plugins[0].Env = append(cfg.Plugins[0].Env, notifyEnv+"="+notes.path)
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr})

	if path := os.Getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), cpuTime()
	h, err := host.Open(&cfg, log, host.Options{})
	if err != nil {
		return fail(err)
	}
	defer h.Close()
	opened := time.Since(start)
	if err := h.Run(context.Background()); err != nil {
		return fail(err)
	}
	recovered := time.Since(start)
	if err := notes.wait("resumed", 5*time.Minute); err != nil {
		return fail(err)
	}
	resumed, cpu := time.Since(start), cpuTime()-cpu0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r := recoverResult{
		OpenMS: ms64(opened), RecoverMS: ms64(recovered), ResumedMS: ms64(resumed), CPUMS: ms64(cpu),
		RSSMiB:  float64(rssKiB("self", "VmRSS")) / 1024,
		HWMMiB:  float64(rssKiB("self", "VmHWM")) / 1024,
		HeapMiB: float64(ms.HeapInuse) / (1 << 20),
	}
	for _, s := range h.PluginManager().Status() {
		if s.Running {
			r.PluginMiB = float64(rssKiB(strconv.Itoa(s.PID), "VmRSS")) / 1024
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return 0
}

func ms64(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// listenProcess listens for the plugin's reports.
func listenProcess() (*notifications, error) {
	// unix socket paths are limited to ~108 bytes: keep the dir short.
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		return nil, err
	}
	n := &notifications{path: filepath.Join(dir, "n.sock"), ch: make(chan string, 64)}
	if n.ln, err = net.Listen("unix", n.path); err != nil {
		return nil, err
	}
	go n.serve()
	return n, nil
}

// BenchmarkDiskSync is the floor under the sync figures: one 4 KiB write
// and fdatasync on the file system the benchmarks' data directories are
// on, at the moment they run.
func BenchmarkDiskSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.Write(page); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
}

// testPlugin builds host/plugins/internal/testplugin once per process: the
// smallest real plugin, to compare plugin start with this test binary.
var testPlugin struct {
	sync.Once
	path string
	err  error
}

func buildTestPlugin(b *testing.B) string {
	testPlugin.Do(func() {
		dir, err := os.MkdirTemp("", "hostbench-bin")
		if err != nil {
			testPlugin.err = err
			return
		}
		testPlugin.path = filepath.Join(dir, plugins.BinaryPrefix+"test")
		out, err := exec.Command("go", "build", "-o", testPlugin.path, "./plugins/internal/testplugin").CombinedOutput()
		if err != nil {
			testPlugin.err = fmt.Errorf("go build testplugin: %v\n%s", err, out)
		}
	})
	if testPlugin.err != nil {
		b.Fatal(testPlugin.err)
	}
	return testPlugin.path
}

// BenchmarkPluginStart is the part of figure 4 no block count changes: the
// plugin manager launching a plugin process (exec, go-plugin handshake,
// AutoMTLS, Describe), for this test binary (the plugin of the host
// benchmarks: it links the whole host) and for the small testplugin.
func BenchmarkPluginStart(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	binaries := []struct {
		name string
		spec plugins.Spec
	}{
		{"testplugin", plugins.Spec{Name: "test", Path: buildTestPlugin(b), Hints: []string{"test"}}},
		{"hostbench", plugins.Spec{Name: "bench", Path: exe, Hints: []string{benchHints}, Env: []string{modeEnv + "=plugin"}}},
	}
	for _, bin := range binaries {
		for _, mtls := range []bool{true, false} {
			b.Run(fmt.Sprintf("plugin=%s/AutoMTLS=%v", bin.name, mtls), func(b *testing.B) {
				for b.Loop() {
					m, err := plugins.NewManager([]plugins.Spec{bin.spec}, plugins.Options{DisableAutoMTLS: !mtls})
					if err != nil {
						b.Fatal(err)
					}
					if err := m.Start(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					m.Close()
					b.StartTimer()
				}
			})
		}
	}
}
