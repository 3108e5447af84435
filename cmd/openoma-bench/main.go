// Command openoma-bench is the end-to-end benchmark of issue 11: it starts a
// real `openoma-host serve` daemon on a temporary data directory with the
// bundled llm-stub plugin and runs four scenarios through the control API
// (the same socket and calls the CLI uses), then times the CLI itself:
//
//   - chain: 200 sequential blocks in one flow (ms/block);
//   - fanout: 200 independent blocks in one flow (total wall time);
//   - many: 100 executions of a 10-block chain at once (blocks/s);
//   - kill: a 50-block chain whose plugin is killed with SIGKILL when the
//     25th block completes (time from the kill to the flow's end);
//   - cli: `run --wait=false` wall time per submission, and the host CPU
//     one `status` of a 1,000-block flow costs.
//
// Each scenario prints, beside its wall-clock figure, the store commits it
// caused (openoma_store_commits_total from the daemon's /metrics) and the
// CPU time of the host and of its plugins (from /proc), per block. It runs
// in `sync` and `async` durability, and measures the fsync floor (a 4 KiB
// write + fdatasync on the same file system) in the same run, so figures
// from a loaded machine can be read as ratios to it.
//
// Usage (the Makefile's bench-e2e target builds the binaries first):
//
//	openoma-bench -bin ./bin [-modes sync,async] [-rounds 3] [-json]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding openoma-host and openoma-plugin-llm-stub")
	modes := flag.String("modes", "sync,async", "store durability modes to run, comma-separated")
	rounds := flag.Int("rounds", 1, "rounds; modes are interleaved within each round")
	only := flag.String("only", "", "comma-separated scenarios to run (chain,fanout,many,kill,cli); empty: all")
	stubArgs := flag.String("llm-stub-args", "--tokens 0", "arguments for the llm-stub plugin (space-separated)")
	asJSON := flag.Bool("json", false, "print one JSON object per scenario instead of a table")
	keep := flag.Bool("keep", false, "keep the temporary directories (for profiling the daemon's data)")
	flag.Parse()

	ctx := context.Background()
	b := &bench{bin: *bin, stubArgs: strings.Fields(*stubArgs), json: *asJSON, keep: *keep, out: os.Stdout}
	if *only != "" {
		b.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			b.only[strings.TrimSpace(s)] = true
		}
	}
	if err := b.check(); err != nil {
		fmt.Fprintln(os.Stderr, "openoma-bench:", err)
		os.Exit(2)
	}
	if !b.json {
		fmt.Fprintf(b.out, "openoma-bench: %s, load %s\n", time.Now().UTC().Format(time.RFC3339), loadAvg())
		fmt.Fprintf(b.out, "%-6s %-7s %-34s %15s %8s %9s %9s %9s %9s\n",
			"mode", "scen.", "figure", "value", "÷fsync", "commits/b", "host-cpu", "host-sys", "plug-cpu")
	}
	for r := 0; r < *rounds; r++ {
		for _, mode := range strings.Split(*modes, ",") {
			if err := b.runMode(ctx, strings.TrimSpace(mode)); err != nil {
				fmt.Fprintf(os.Stderr, "openoma-bench: %s: %v\n", mode, err)
				os.Exit(1)
			}
		}
	}
}

type bench struct {
	bin      string
	stubArgs []string
	only     map[string]bool
	json     bool
	keep     bool
	out      io.Writer
}

func (b *bench) check() error {
	abs, err := filepath.Abs(b.bin)
	if err != nil {
		return err
	}
	b.bin = abs
	for _, name := range []string{"openoma-host", "openoma-plugin-llm-stub"} {
		if _, err := os.Stat(filepath.Join(b.bin, name)); err != nil {
			return fmt.Errorf("%w (run `make build` first, or pass -bin)", err)
		}
	}
	return nil
}

func (b *bench) want(s string) bool { return b.only == nil || b.only[s] }

// defs are the benchmark's definitions: one llm-stub block and the flows
// the scenarios run.
func defs() string {
	var s strings.Builder
	s.WriteString(`kind: work_block
name: Step
inputs: [{name: n, required: false}]
outputs: [{name: answer}]
execution_hints: [llm]
`)
	chain := func(name string, n int) {
		fmt.Fprintf(&s, "---\nkind: flow\nname: %s\nnodes:\n", name)
		for i := range n {
			fmt.Fprintf(&s, "  - {alias: s%d, block: Step@1}\n", i)
		}
		s.WriteString("edges:\n  - {to: s0}\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&s, "  - {from: s%d, to: s%d}\n", i-1, i)
		}
	}
	fan := func(name string, n int) {
		fmt.Fprintf(&s, "---\nkind: flow\nname: %s\nnodes:\n", name)
		for i := range n {
			fmt.Fprintf(&s, "  - {alias: s%d, block: Step@1}\n", i)
		}
		s.WriteString("edges:\n")
		for i := range n {
			fmt.Fprintf(&s, "  - {to: s%d}\n", i)
		}
	}
	// A fan-out of 1,000 whose last node takes a minute: a big flow that
	// is still running when its status is asked for.
	fmt.Fprintf(&s, "---\nkind: flow\nname: Fan1000Hold\nnodes:\n")
	for i := range 999 {
		fmt.Fprintf(&s, "  - {alias: s%d, block: Step@1}\n", i)
	}
	s.WriteString("  - {alias: slow, block: Step@1, metadata: {llm_stub: {latency: 60s}}}\nedges:\n")
	for i := range 999 {
		fmt.Fprintf(&s, "  - {to: s%d}\n", i)
	}
	s.WriteString("  - {to: slow}\n")
	chain("Warm", 2)
	chain("Chain200", 200)
	fan("Fan200", 200)
	chain("Chain10", 10)
	chain("Chain50", 50)
	fan("Fan1000", 1000)
	return s.String()
}

// daemon is one running `openoma-host serve` with its data directory.
type daemon struct {
	dir, config, sock, metrics string
	cmd                        *exec.Cmd
	logs                       *syncBuffer
	done                       chan struct{}
	client                     *control.Client
}

func (b *bench) start(ctx context.Context, mode string) (*daemon, error) {
	// unix socket paths are limited to ~108 bytes: keep the dir short.
	dir, err := os.MkdirTemp("", "omab")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "defs"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "defs", "bench.yaml"), []byte(defs()), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args, _ := json.Marshal(b.stubArgs)
	cfg := fmt.Sprintf(`data_dir: data
definitions: [defs]
log_level: warn
store: {durability: %s}
metrics: {address: "127.0.0.1:%d"}
plugins:
  - name: llm-stub
    hints: ["*"]
    args: %s
    max_concurrency: 64
routing: {default_plugin: llm-stub, conditions_plugin: llm-stub}
`, mode, port, args)
	d := &daemon{dir: dir, config: filepath.Join(dir, "openoma.yaml"), sock: filepath.Join(dir, "data", "control.sock"),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port), logs: &syncBuffer{}, done: make(chan struct{})}
	if err := os.WriteFile(d.config, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	d.cmd = exec.Command(filepath.Join(b.bin, "openoma-host"), "--config", d.config, "serve")
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := control.Dial(ctx, d.sock)
		if err == nil {
			d.client = c
			break
		}
		select {
		case <-d.done:
			return nil, fmt.Errorf("serve exited early:\n%s", d.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			d.stop(b.keep)
			return nil, fmt.Errorf("serve did not come up in 60s:\n%s", d.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d, nil
}

func (d *daemon) stop(keep bool) {
	if d.client != nil {
		d.client.Close()
	}
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	}
	if !keep {
		os.RemoveAll(d.dir)
	}
}

// sample is what a scenario's figures are computed from: counters read
// before and after it.
type sample struct {
	at              time.Time
	commits         float64
	hostCPU, plugin time.Duration
	hostSys         time.Duration // the system part of hostCPU: fsync, msync, I/O
}

func (d *daemon) sample() (sample, error) {
	s := sample{at: time.Now()}
	c, err := d.commits()
	if err != nil {
		return s, err
	}
	s.commits = c
	pid := d.cmd.Process.Pid
	st, err := procStat(pid)
	if err != nil {
		return s, err
	}
	s.hostCPU, s.hostSys = st.self, st.sys
	// Plugins: live children, plus the CPU of children that have exited and
	// been waited for (a killed plugin's CPU is counted there).
	s.plugin = st.children
	for _, c := range childPIDs(pid) {
		if cs, err := procStat(c); err == nil {
			s.plugin += cs.self
		}
	}
	return s, nil
}

func (d *daemon) commits() (float64, error) {
	resp, err := http.Get(d.metrics)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "openoma_store_commits_total "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("metrics: no openoma_store_commits_total")
}

// result is one scenario's figures.
type result struct {
	Mode        string  `json:"mode"`
	Scenario    string  `json:"scenario"`
	Figure      string  `json:"figure"`
	Value       float64 `json:"value"`
	Unit        string  `json:"unit"`
	FsyncFloor  float64 `json:"fsync_floor_ms"`
	Blocks      int     `json:"blocks"`
	WallMS      float64 `json:"wall_ms"`
	CommitsPerB float64 `json:"commits_per_block"`
	HostCPUPerB float64 `json:"host_cpu_ms_per_block"`
	HostSysPerB float64 `json:"host_sys_ms_per_block"`
	PlugCPUPerB float64 `json:"plugin_cpu_ms_per_block"`
	Load        string  `json:"load"`
}

func (b *bench) report(r result) {
	r.Load = loadAvg()
	if b.json {
		_ = json.NewEncoder(b.out).Encode(r)
		return
	}
	ratio := "-"
	if r.FsyncFloor > 0 && r.Unit == "ms/block" {
		ratio = fmt.Sprintf("%.1f×", r.Value/r.FsyncFloor)
	}
	cpu := func(v float64) string {
		if r.Blocks == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3fms", v)
	}
	commits := "-"
	if r.Blocks > 0 {
		commits = fmt.Sprintf("%.2f", r.CommitsPerB)
	}
	fmt.Fprintf(b.out, "%-6s %-7s %-34s %15s %8s %9s %9s %9s %9s\n", r.Mode, r.Scenario, r.Figure,
		fmt.Sprintf("%.2f %s", r.Value, r.Unit), ratio, commits, cpu(r.HostCPUPerB), cpu(r.HostSysPerB), cpu(r.PlugCPUPerB))
}

func (b *bench) figures(mode, scen, figure string, floor float64, blocks int, before, after sample) result {
	r := result{Mode: mode, Scenario: scen, Figure: figure, FsyncFloor: floor, Blocks: blocks,
		WallMS: ms(after.at.Sub(before.at))}
	if blocks > 0 {
		n := float64(blocks)
		r.CommitsPerB = (after.commits - before.commits) / n
		r.HostCPUPerB = ms(after.hostCPU-before.hostCPU) / n
		r.HostSysPerB = ms(after.hostSys-before.hostSys) / n
		r.PlugCPUPerB = ms(after.plugin-before.plugin) / n
	}
	return r
}

func (b *bench) runMode(ctx context.Context, mode string) error {
	d, err := b.start(ctx, mode)
	if err != nil {
		return err
	}
	defer d.stop(b.keep)
	floor, err := fsyncFloor(d.dir, 200)
	if err != nil {
		return err
	}
	b.report(result{Mode: mode, Scenario: "floor", Figure: "4 KiB write + fdatasync (median)", Value: floor, Unit: "ms"})
	// Warm up: the plugin's first call, the engine's first flow.
	if _, err := d.run(ctx, "Warm", true); err != nil {
		return err
	}
	type scenario struct {
		name string
		fn   func(context.Context, *daemon, string, float64) error
	}
	for _, s := range []scenario{{"chain", b.chain}, {"fanout", b.fanout}, {"many", b.many}, {"kill", b.kill}, {"cli", b.cli}} {
		if !b.want(s.name) {
			continue
		}
		if s.name == "chain" {
			// The floor again, just before the figure that is read against it.
			if floor, err = fsyncFloor(d.dir, 100); err != nil {
				return err
			}
			b.report(result{Mode: mode, Scenario: "floor", Figure: "  again, just before the chain", Value: floor, Unit: "ms"})
		}
		if err := s.fn(ctx, d, mode, floor); err != nil {
			return fmt.Errorf("%s: %w\ndaemon log:\n%s", s.name, err, tail(d.logs.String(), 4000))
		}
	}
	// Memory: the daemon's peak resident set over all the scenarios, and
	// the plugins' now.
	pid := d.cmd.Process.Pid
	b.report(result{Mode: mode, Scenario: "memory", Figure: "daemon peak RSS (VmHWM)", Value: float64(procStatusKiB(pid, "VmHWM")) / 1024, Unit: "MiB"})
	var plugins int64
	for _, c := range childPIDs(pid) {
		plugins += procStatusKiB(c, "VmRSS")
	}
	b.report(result{Mode: mode, Scenario: "memory", Figure: "plugin RSS (VmRSS), at the end", Value: float64(plugins) / 1024, Unit: "MiB"})
	return nil
}

// procStatusKiB reads one "kB" field of /proc/PID/status (0 if absent).
func procStatusKiB(pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// run starts a flow through the control API and, with wait, returns when
// it has ended, checking that it completed.
func (d *daemon) run(ctx context.Context, flow string, wait bool) (string, error) {
	id, _, err := d.runTimed(ctx, flow, wait)
	return id, err
}

// runTimed is run that also returns, with wait, how long the execution
// took by its own record (created to ended), apart from how soon the
// control API told the caller.
func (d *daemon) runTimed(ctx context.Context, flow string, wait bool) (string, time.Duration, error) {
	rep, err := d.client.Run(ctx, flow, nil, wait, nil)
	if err != nil {
		return "", 0, fmt.Errorf("run %s: %w", flow, err)
	}
	var took time.Duration
	if wait {
		var r struct {
			State     string     `json:"state"`
			CreatedAt time.Time  `json:"created_at"`
			EndedAt   *time.Time `json:"ended_at"`
		}
		if err := json.Unmarshal(rep.JSON, &r); err != nil {
			return "", 0, fmt.Errorf("run %s: report: %w", flow, err)
		}
		if r.State != string(execution.StateCompleted) || r.EndedAt == nil {
			return "", 0, fmt.Errorf("run %s: ended %s", flow, r.State)
		}
		took = r.EndedAt.Sub(r.CreatedAt)
	}
	return rep.ExecutionID, took, nil
}

func (b *bench) chain(ctx context.Context, d *daemon, mode string, floor float64) error {
	before, err := d.sample()
	if err != nil {
		return err
	}
	_, took, err := d.runTimed(ctx, "Chain200", true)
	if err != nil {
		return err
	}
	after, err := d.sample()
	if err != nil {
		return err
	}
	r := b.figures(mode, "chain", "200 sequential blocks", floor, 200, before, after)
	r.Value, r.Unit = r.WallMS/200, "ms/block"
	b.report(r)
	// The same run by its own record: without the wait for the control
	// API to notice the end.
	r.Figure, r.Value = "  same, created→ended in the log", ms(took)/200
	b.report(r)

	// Again, waiting on `events --follow` instead of `run --wait`: the
	// difference in host CPU is what the waiting run's progress reports
	// (one whole report per poll) cost the daemon.
	if before, err = d.sample(); err != nil {
		return err
	}
	id, err := d.run(ctx, "Chain200", false)
	if err != nil {
		return err
	}
	if err := d.follow(ctx, id, nil); err != nil {
		return err
	}
	if after, err = d.sample(); err != nil {
		return err
	}
	r = b.figures(mode, "chain", "  same, waited for on events", floor, 200, before, after)
	r.Value, r.Unit = r.WallMS/200, "ms/block"
	b.report(r)
	return nil
}

// follow reads an execution's events until its end, calling onCompleted
// with the count of completed block executions so far.
func (d *daemon) follow(ctx context.Context, id string, onCompleted func(n int) error) error {
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	completed := 0
	errDone := errors.New("done")
	err := d.client.Events(fctx, id, 0, true, func(ev execution.Event) error {
		if ev.EventType.IsTerminal() && ev.ExecutionID.String() == id {
			if ev.EventType != execution.EventCompleted {
				return fmt.Errorf("flow ended %s", ev.EventType)
			}
			return errDone
		}
		if ev.EventType == execution.EventCompleted {
			completed++
			if onCompleted != nil {
				return onCompleted(completed)
			}
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		return fmt.Errorf("following %s: %v", id, err)
	}
	return nil
}

func (b *bench) fanout(ctx context.Context, d *daemon, mode string, floor float64) error {
	before, err := d.sample()
	if err != nil {
		return err
	}
	if _, err := d.run(ctx, "Fan200", true); err != nil {
		return err
	}
	after, err := d.sample()
	if err != nil {
		return err
	}
	r := b.figures(mode, "fanout", "200 blocks fanned out, total", floor, 200, before, after)
	r.Value, r.Unit = r.WallMS/1000, "s"
	b.report(r)
	return nil
}

func (b *bench) many(ctx context.Context, d *daemon, mode string, floor float64) error {
	const n = 100
	before, err := d.sample()
	if err != nil {
		return err
	}
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := d.run(ctx, "Chain10", true)
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	after, err := d.sample()
	if err != nil {
		return err
	}
	r := b.figures(mode, "many", "100 executions × 10-block chain", floor, 10*n, before, after)
	r.Value, r.Unit = float64(10*n)/(r.WallMS/1000), "blocks/s"
	b.report(r)
	return nil
}

// kill runs a 50-block chain, kills the llm-stub plugin with SIGKILL when
// the 25th block has completed, and times the rest: from the kill to the
// flow's end (the host sees the exit, restarts the plugin, resumes the open
// block and runs the remaining 25).
func (b *bench) kill(ctx context.Context, d *daemon, mode string, floor float64) error {
	before, err := d.sample()
	if err != nil {
		return err
	}
	id, err := d.run(ctx, "Chain50", false)
	if err != nil {
		return err
	}
	var killedAt time.Time
	err = d.follow(ctx, id, func(completed int) error {
		if completed == 25 && killedAt.IsZero() {
			pids := pluginPIDs(d.cmd.Process.Pid)
			if len(pids) == 0 {
				return errors.New("no plugin process to kill")
			}
			killedAt = time.Now()
			for _, p := range pids {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if killedAt.IsZero() {
		return errors.New("the flow ended before its 25th block completed")
	}
	end := time.Now()
	after, err := d.sample()
	if err != nil {
		return err
	}
	r := b.figures(mode, "kill", "kill -9 at block 25 of 50 → done", floor, 50, before, after)
	r.Value, r.Unit = ms(end.Sub(killedAt))/1000, "s"
	b.report(r)
	return nil
}

// cli times the CLI binary itself: `run --wait=false` per submission
// (process start, config, connection, the call), and the host CPU that one
// `status` of a 1,000-block flow costs.
func (b *bench) cli(ctx context.Context, d *daemon, mode string, floor float64) error {
	const n = 20
	host := filepath.Join(b.bin, "openoma-host")
	walls := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		out, err := exec.CommandContext(ctx, host, "--config", d.config, "run", "Chain10", "--wait=false").CombinedOutput()
		if err != nil {
			return fmt.Errorf("run --wait=false: %v\n%s", err, out)
		}
		walls = append(walls, time.Since(t0))
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "run --wait=false, wall (median of 20)", Value: ms(median(walls)), Unit: "ms"})
	// The same submission through an open connection: what the daemon and
	// the call cost, without a process to start or a connection to make.
	walls = walls[:0]
	for range n {
		t0 := time.Now()
		if _, err := d.run(ctx, "Chain10", false); err != nil {
			return err
		}
		walls = append(walls, time.Since(t0))
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "  the Run call alone (open connection)", Value: ms(median(walls)), Unit: "ms"})
	// `version` on the same binary: what process start and package init cost
	// before any verb does work.
	walls = walls[:0]
	for range n {
		t0 := time.Now()
		if out, err := exec.CommandContext(ctx, host, "version").CombinedOutput(); err != nil {
			return fmt.Errorf("version: %v\n%s", err, out)
		}
		walls = append(walls, time.Since(t0))
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "version (process start), wall", Value: ms(median(walls)), Unit: "ms"})

	id, err := d.run(ctx, "Fan1000", true)
	if err != nil {
		return err
	}
	// Let the 20 submitted chains finish first, so their work is not
	// counted as the status calls' CPU.
	if err := d.idle(ctx); err != nil {
		return err
	}
	before, err := d.sample()
	if err != nil {
		return err
	}
	// CPU time is read in 10 ms ticks: enough calls to resolve 0.1 ms.
	for range 100 {
		if _, err := d.client.Status(ctx, id); err != nil {
			return err
		}
	}
	after, err := d.sample()
	if err != nil {
		return err
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "status, 1,000-block flow, host CPU", Value: ms(after.hostCPU-before.hostCPU) / 100, Unit: "ms"})
	if err := b.statusRunning(ctx, d, mode); err != nil {
		return err
	}
	walls = walls[:0]
	for range 5 {
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, host, "--config", d.config, "status", id, "--json")
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("status --json: %v", err)
		}
		walls = append(walls, time.Since(t0))
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "status --json, 1,000 blocks, wall", Value: ms(median(walls)), Unit: "ms"})
	return nil
}

// statusRunning measures the host CPU of `status` of a running 1,000-block
// flow (999 blocks ended, one still running), then cancels it.
func (b *bench) statusRunning(ctx context.Context, d *daemon, mode string) error {
	id, err := d.run(ctx, "Fan1000Hold", false)
	if err != nil {
		return err
	}
	defer d.client.Cancel(context.WithoutCancel(ctx), id, "benchmark over")
	deadline := time.Now().Add(time.Minute)
	for {
		rep, err := d.client.Status(ctx, id)
		if err != nil {
			return err
		}
		var r struct {
			Progress struct{ Done int } `json:"progress"`
		}
		if err := json.Unmarshal(rep.JSON, &r); err != nil {
			return err
		}
		if r.Progress.Done == 999 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Fan1000Hold: %d of 999 blocks done after a minute", r.Progress.Done)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := d.idle(ctx); err != nil {
		return err
	}
	before, err := d.sample()
	if err != nil {
		return err
	}
	const n = 50
	for range n {
		if _, err := d.client.Status(ctx, id); err != nil {
			return err
		}
	}
	after, err := d.sample()
	if err != nil {
		return err
	}
	b.report(result{Mode: mode, Scenario: "cli", Figure: "status, running 1,000-block flow, CPU", Value: ms(after.hostCPU-before.hostCPU) / n, Unit: "ms"})
	return nil
}

// idle waits until the store has stopped committing for 200 ms.
func (d *daemon) idle(ctx context.Context) error {
	last, err := d.commits()
	if err != nil {
		return err
	}
	for range 300 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		c, err := d.commits()
		if err != nil {
			return err
		}
		if c == last {
			return nil
		}
		last = c
	}
	return errors.New("the store did not go idle in 60s")
}

// fsyncFloor is the median of n 4 KiB writes, each followed by fdatasync,
// to a file in dir: the cost of one durable commit on this file system.
func fsyncFloor(dir string, n int) (float64, error) {
	f, err := os.CreateTemp(dir, "fsync")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := bytes.Repeat([]byte{'x'}, 4096)
	d := make([]time.Duration, 0, n)
	for i := range n {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*4096); err != nil {
			return 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
		d = append(d, time.Since(t0))
	}
	return ms(median(d)), nil
}

type cpu struct{ self, sys, children time.Duration }

// procStat reads a process's CPU time (user + system) and that of its
// waited-for children from /proc/PID/stat.
func procStat(pid int) (cpu, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpu{}, err
	}
	// Fields after the command name (which may contain spaces and ')').
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	// f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
	if len(f) < 15 {
		return cpu{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	tick := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(v) * time.Second / clockTicks
	}
	return cpu{self: tick(11) + tick(12), sys: tick(12), children: tick(13) + tick(14)}, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// childPIDs lists the live processes whose parent is pid.
func childPIDs(pid int) []int {
	var out []int
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		child, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", p.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// pluginPIDs are the daemon's llm-stub plugin processes.
func pluginPIDs(pid int) []int {
	var out []int
	for _, c := range childPIDs(pid) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
		if strings.HasPrefix(strings.TrimSpace(string(comm)), "openoma-plugin-") {
			out = append(out, c)
		}
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for the daemon's stdout and stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
