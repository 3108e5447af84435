package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// report is the part of `status --json` these tests read.
type report struct {
	ExecutionID string          `json:"execution_id"`
	State       execution.State `json:"state"`
	Reason      string          `json:"reason"`
	Blocks      []struct {
		ExecutionID string          `json:"execution_id"`
		Alias       string          `json:"alias"`
		State       execution.State `json:"state"`
		Attempt     int             `json:"attempt"`
		Reason      string          `json:"reason"`
	} `json:"blocks"`
}

const shellPlugins = `
plugins:
  - name: shell
    hints: [shell]
engine:
  call_timeout: 5s
  restart_backoff: 10ms
`

// chainFlow is a flow of n shell blocks in a line; each block takes
// roughly sleep and passes a counter on.
func chainFlow(n int, sleep string) map[string]string {
	var b strings.Builder
	fmt.Fprintf(&b, `kind: work_block
name: Step
inputs: [{name: n, description: counter, required: false}]
outputs: [{name: n, description: counter}]
execution_hints: [shell]
metadata:
  shell:
    script: 'sleep %s; printf "{\"n\": %%s}" "$(( ${OPENOMA_INPUT_N:-0} + 1 ))"'
---
kind: flow
name: Chain
nodes:
`, sleep)
	for i := range n {
		fmt.Fprintf(&b, "  - {alias: s%d, block: Step@1}\n", i)
	}
	b.WriteString("edges:\n  - {to: s0}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - {from: s%d, to: s%d}\n", i-1, i)
	}
	return map[string]string{"chain.yaml": b.String()}
}

func (e *env) status(ctx context.Context, id string) report {
	e.t.Helper()
	var r report
	e.cliJSON(ctx, &r, "status", id)
	return r
}

func (e *env) events(ctx context.Context, id string) []execution.Event {
	e.t.Helper()
	out, code := e.cli(ctx, "events", id, "--json")
	if code != 0 {
		e.t.Fatalf("events %s: exit %d", id, code)
	}
	var evs []execution.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev execution.Event
		must(e.t, ev.UnmarshalJSON([]byte(line)))
		evs = append(evs, ev)
	}
	return evs
}

// checkLog asserts that every execution's log obeys the store's rules and
// that no event is stored twice.
func checkLog(t *testing.T, evs []execution.Event) map[string][]execution.Event {
	t.Helper()
	byExec := map[string][]execution.Event{}
	seen := map[string]bool{}
	for _, ev := range evs {
		if seen[ev.ID.String()] {
			t.Fatalf("event %s appears twice", ev.ID)
		}
		seen[ev.ID.String()] = true
		byExec[ev.ExecutionID.String()] = append(byExec[ev.ExecutionID.String()], ev)
	}
	for id, log := range byExec {
		if err := execution.ValidateLog(log); err != nil {
			t.Fatalf("log of %s: %v", id, err)
		}
	}
	return byExec
}

func TestPluginKilledMidBlockIsResumed(t *testing.T) {
	e := newEnv(t, shellPlugins, chainFlow(1, "2"), "shell")
	ctx := context.Background()
	d := e.serve()
	defer d.stop(t)
	id, code := e.cli(ctx, "run", "Chain", "--wait=false")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	id = strings.TrimSpace(id)
	waitFor(t, "the block to start", 20*time.Second, func() bool {
		r := e.status(ctx, id)
		return len(r.Blocks) == 1 && r.Blocks[0].State == execution.StateInProgress
	})
	var plugins []struct {
		Name string `json:"name"`
		PID  int    `json:"pid"` // a number, not a string (issue 13)
	}
	e.cliJSON(ctx, &plugins, "plugins")
	pid := plugins[0].PID
	if pid <= 0 {
		t.Fatalf("plugin pid %d", pid)
	}
	must(t, syscall.Kill(pid, syscall.SIGKILL))
	waitFor(t, "the flow to complete", 30*time.Second, func() bool {
		return e.status(ctx, id).State == execution.StateCompleted
	})
	r := e.status(ctx, id)
	if len(r.Blocks) != 1 || r.Blocks[0].State != execution.StateCompleted {
		t.Fatalf("blocks: %+v", r.Blocks)
	}
	logs := checkLog(t, e.events(ctx, id))
	var types []string
	for _, ev := range logs[r.Blocks[0].ExecutionID] {
		types = append(types, string(ev.EventType))
	}
	got := strings.Join(types, " ")
	if !strings.Contains(got, "executor_released") || strings.Index(got, "executor_released") > strings.LastIndex(got, "executor_assigned") {
		t.Fatalf("block log %q: want executor_released followed by a new executor_assigned", got)
	}
	t.Logf("block log: %s", got)
}

func TestHostKilledAtRandomPointsOfA50BlockFlow(t *testing.T) {
	const blocks, rounds = 50, 10
	e := newEnv(t, shellPlugins, chainFlow(blocks, "0"), "shell")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := range rounds {
		d := e.serve()
		id, code := e.cli(ctx, "run", "Chain", "--wait=false")
		if code != 0 {
			t.Fatalf("round %d: run: exit %d", round, code)
		}
		id = strings.TrimSpace(id)
		time.Sleep(time.Duration(50+rng.IntN(800)) * time.Millisecond)
		children := childPIDs(d.cmd.Process.Pid)
		d.kill()
		for _, pid := range children {
			waitFor(t, fmt.Sprintf("plugin %d of the killed host to exit", pid), 10*time.Second, func() bool { return !alive(pid) })
		}
		d = e.serve()
		waitFor(t, "the flow to complete after restart", 60*time.Second, func() bool {
			return e.status(ctx, id).State.IsTerminal()
		})
		r := e.status(ctx, id)
		if r.State != execution.StateCompleted {
			t.Fatalf("round %d: flow %s (%s)\n%s", round, r.State, r.Reason, d.output())
		}
		done := map[string]int{}
		for _, b := range r.Blocks {
			if b.State == execution.StateCompleted {
				done[b.Alias]++
			}
		}
		if len(done) != blocks {
			t.Fatalf("round %d: %d of %d nodes completed", round, len(done), blocks)
		}
		for alias, n := range done {
			if n != 1 {
				t.Fatalf("round %d: node %s completed %d times", round, alias, n)
			}
		}
		logs := checkLog(t, e.events(ctx, id))
		if got := len(logs); got != blocks+1 {
			t.Fatalf("round %d: %d executions in the log, want %d blocks + the flow", round, got, blocks)
		}
		d.stop(t)
	}
}

func TestChecksumMismatchIsRefused(t *testing.T) {
	e := newEnv(t, `
plugins:
  - name: shell
    hints: [shell]
    sha256: "`+strings.Repeat("ab", 32)+`"
`, chainFlow(1, "0"), "shell")
	ctx := context.Background()
	var r report
	code := e.cliJSON(ctx, &r, "run", "Chain")
	if code != 1 || r.State != execution.StateFailed {
		t.Fatalf("run: exit %d, state %s; want exit 1, failed", code, r.State)
	}
	if len(r.Blocks) != 1 || !strings.Contains(r.Blocks[0].Reason, "refusing to run it") {
		t.Fatalf("block reason %+v, want the checksum refusal", r.Blocks)
	}
	out, _ := e.cli(ctx, "plugins")
	if !strings.Contains(out, "requires "+strings.Repeat("ab", 32)) {
		t.Fatalf("plugins does not show the refusal:\n%s", out)
	}
}

func TestClearFailures(t *testing.T) {
	defs := map[string]string{"defs.yaml": `
kind: work_block
name: Nowhere
outputs: [{name: x, description: x}]
execution_hints: [teleport]
---
kind: work_block
name: Hang
outputs: [{name: x, description: x}]
execution_hints: [hang]
---
kind: work_block
name: Quick
outputs: [{name: x, description: x}]
execution_hints: [shell]
metadata: {shell: {argv: [sh, -c, 'printf "{\"x\": 1}"']}}
---
kind: flow
name: Unroutable
nodes: [{alias: a, block: Nowhere@1}]
edges: [{to: a}]
---
kind: flow
name: Silent plugin
nodes: [{alias: a, block: Hang@1}]
edges: [{to: a}]
---
kind: flow
name: Bad condition
nodes: [{alias: a, block: Quick@1}, {alias: b, block: Quick@1}]
edges:
  - {to: a}
  - {from: a, to: b, condition: {description: broken, predicate: {cel: "outputs.x.missing == 1"}}}
`}
	e := newEnv(t, `
plugins:
  - name: shell
    hints: [shell]
  - name: test
    hints: [hang]
    env: [TESTPLUGIN_HINTS=hang, TESTPLUGIN_HANG_IN_EXECUTE=1]
engine:
  call_timeout: 1s
`, defs, "shell", "test")
	ctx := context.Background()
	out, code := e.cli(ctx, "validate", "--config", e.config)
	if code != 1 || !strings.Contains(out, `block "Nowhere" v1: execution_hints`) {
		t.Fatalf("validate --config: exit %d\n%s", code, out)
	}
	// A block no plugin serves is refused before anything is recorded.
	refused := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), "--config", e.config, "run", "Unroutable")
	stderr, err := refused.CombinedOutput()
	if code := refused.ProcessState.ExitCode(); err == nil || code != 2 ||
		!strings.Contains(string(stderr), "refused before recording") || !strings.Contains(string(stderr), "teleport") {
		t.Fatalf("run Unroutable: exit %d, want 2 and a refusal naming the hint:\n%s", code, stderr)
	}
	if out, _ := e.cli(ctx, "status"); !strings.Contains(out, "no executions yet") {
		t.Fatalf("the refused run was recorded:\n%s", out)
	}
	tests := []struct {
		flow, want string
	}{
		{"Silent plugin", "did not answer within 1s"},
		{"Bad condition", "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.flow, func(t *testing.T) {
			var r report
			code := e.cliJSON(ctx, &r, "run", tt.flow)
			if code != 1 || r.State != execution.StateFailed {
				t.Fatalf("exit %d, state %s; want 1, failed", code, r.State)
			}
			reasons := r.Reason
			for _, b := range r.Blocks {
				reasons += " | " + b.Reason
			}
			if !strings.Contains(reasons, tt.want) {
				t.Fatalf("reasons %q do not mention %q", reasons, tt.want)
			}
			t.Logf("%s: %s", tt.flow, reasons)
		})
	}
}
