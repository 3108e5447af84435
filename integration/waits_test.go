package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// waitDefs: a flow that waits 3 s on a timer, then for the signal
// "deployed" — both served by the host itself, no plugin.
const waitDefs = `kind: work_block
name: Cool Off
inputs: []
outputs: [{name: fired_at, required: false}]
execution_hints: [openoma.timer]
metadata: {timer: {wait: 3s}}
---
kind: work_block
name: Deployed
inputs: []
outputs: [{name: url, schema: {type: string}}]
execution_hints: [openoma.signal]
---
kind: flow
name: Release
nodes:
  - {alias: cool_off, block: Cool Off@1}
  - {alias: deployed, block: Deployed@1}
edges:
  - {to: cool_off}
  - {from: cool_off, to: deployed}
`

// The host is killed while a timer waits and again while a block waits for
// a signal: the timer fires at its recorded time (±1 s) after the
// restart, the signal sent to the new daemon completes the block, and
// every slot completes exactly once.
func TestHostKilledWhileWaiting(t *testing.T) {
	e := newEnv(t, "store: {durability: sync}\n", map[string]string{"defs.yaml": waitDefs})
	ctx := context.Background()
	d := e.serve()
	out, code := e.cli(ctx, "run", "Release", "--wait=false")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	id := strings.TrimSpace(out)
	var due time.Time
	waitFor(t, "the timer to record its due time", 20*time.Second, func() bool {
		due = timerDue(ctx, e, id)
		return !due.IsZero()
	})
	d.kill()
	time.Sleep(time.Second) // down for a third of the wait
	d = e.serve()

	var r loopRun
	var fired time.Time
	waitFor(t, "the timer to fire after the restart", 20*time.Second, func() bool {
		r = loopRun{}
		e.cliJSON(ctx, &r, "status", id)
		for _, b := range r.Blocks {
			if b.Alias == "cool_off" && b.State == execution.StateCompleted {
				return true
			}
		}
		return false
	})
	fired = firedAt(t, ctx, e, id)
	if late := fired.Sub(due); late < -100*time.Millisecond || late > time.Second {
		t.Fatalf("the timer fired at %v, %v from its recorded due %v; want within 1 s", fired, late, due)
	}

	// The signal block waits now; kill the host under it.
	waitFor(t, "the signal block to wait", 20*time.Second, func() bool {
		r = loopRun{}
		e.cliJSON(ctx, &r, "status", id)
		for _, b := range r.Blocks {
			if b.Alias == "deployed" && b.State == execution.StateInProgress {
				return true
			}
		}
		return false
	})
	d.kill()
	d = e.serve()
	if out, code := e.cli(ctx, "signal", id[:8], "deployed", "--output", "url=https://shop.example/v2"); code != 0 {
		t.Fatalf("signal: exit %d: %s", code, out)
	}
	waitFor(t, "the flow to end", 20*time.Second, func() bool {
		r = loopRun{}
		e.cliJSON(ctx, &r, "status", id)
		return r.State.IsTerminal()
	})
	if r.State != execution.StateCompleted {
		t.Fatalf("flow %s (%s)\n%s", r.State, r.Reason, d.output())
	}
	completed := map[string]int{}
	for _, b := range r.Blocks {
		if b.State == execution.StateCompleted {
			completed[b.Alias]++
		}
	}
	if completed["cool_off"] != 1 || completed["deployed"] != 1 || len(completed) != 2 {
		t.Fatalf("completed block executions per slot %v, want each once", completed)
	}
	if got := r.Outputs["deployed"]["url"]; got != "https://shop.example/v2" {
		t.Errorf("the signal's output reached the flow as %v", got)
	}
	// A signal to the ended flow is refused, and records nothing.
	if _, code := e.cli(ctx, "signal", id, "deployed", "--output", "url=x"); code != 2 {
		t.Errorf("signal to an ended flow: exit %d, want 2", code)
	}
}

// timerDue reads the due time the timer recorded, zero before it did.
func timerDue(ctx context.Context, e *env, id string) time.Time {
	out, _ := e.cli(ctx, "--json", "events", id)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev execution.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.EventType != execution.EventProgress {
			continue
		}
		var p struct {
			Type string    `json:"type"`
			Due  time.Time `json:"due"`
		}
		if json.Unmarshal(ev.Payload, &p) == nil && p.Type == "timer" {
			return p.Due
		}
	}
	return time.Time{}
}

func firedAt(t *testing.T, ctx context.Context, e *env, id string) time.Time {
	t.Helper()
	var r struct {
		Blocks []struct {
			Alias   string         `json:"alias"`
			Outputs map[string]any `json:"outputs"`
		} `json:"blocks"`
	}
	e.cliJSON(ctx, &r, "status", id)
	for _, b := range r.Blocks {
		if b.Alias == "cool_off" {
			s, _ := b.Outputs["fired_at"].(string)
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("fired_at %q: %v", s, err)
			}
			return at
		}
	}
	t.Fatal("no cool_off block")
	return time.Time{}
}
