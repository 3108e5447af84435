package host

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/identity"
)

const builtinDefs = `
kind: work_block
name: Cool Off
version: 1
inputs: []
outputs: [{name: fired_at, description: when it fired}]
execution_hints: [openoma.timer]
metadata: {timer: {wait: 300ms}}
---
kind: work_block
name: Deployed
version: 1
inputs: []
outputs:
  - {name: url, description: where, schema: {type: string}}
  - {name: note, description: optional, required: false}
execution_hints: [openoma.signal]
---
kind: work_block
name: Counted
version: 1
inputs: []
outputs:
  - {name: count, description: how many, schema: {type: integer}}
execution_hints: [openoma.signal]
---
kind: flow
name: Two Waits
version: 1
nodes:
  - {alias: a, block: Deployed@1, metadata: {signal: {name: go}}}
  - {alias: b, block: Counted@1, metadata: {signal: {name: go}}}
edges:
  - {to: a}
  - {to: b}
---
kind: flow
name: Release
version: 1
nodes:
  - {alias: cool_off, block: Cool Off@1}
  - {alias: deployed, block: Deployed@1, metadata: {signal: {name: prod-deployed}}}
edges:
  - {to: cool_off}
  - {from: cool_off, to: deployed}
`

func openBuiltinHost(t *testing.T) *Host {
	t.Helper()
	dir := t.TempDir()
	defs := filepath.Join(dir, "defs.yaml")
	if err := os.WriteFile(defs, []byte(builtinDefs), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Definitions = []string{defs}
	cfg.Store.Durability = config.DurabilityAsync
	h, err := Open(&cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// A timer fires after its wait, no plugin involved; a signal sent while
// the timer still runs is kept and completes the signal block when it
// starts, with the sender as its executor; bad signals record nothing.
func TestTimerAndSignal(t *testing.T) {
	h := openBuiltinHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	id, err := h.Start(ctx, "Release", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice := identity.Caller{User: "alice", Person: "alice"}
	refused := []struct {
		name    string
		signal  string
		outputs map[string]any
		want    error
		says    string
	}{
		{"unknown name", "staging-deployed", map[string]any{"url": "x"}, control.ErrInvalid, `has no signal "staging-deployed"; it waits for prod-deployed`},
		{"missing required output", "prod-deployed", map[string]any{}, control.ErrInvalid, "url"},
		{"wrong type", "prod-deployed", map[string]any{"url": 42}, control.ErrInvalid, "url"},
		{"undeclared output", "prod-deployed", map[string]any{"url": "x", "color": "red"}, control.ErrInvalid, "color"},
	}
	before := eventCount(t, h, id)
	for _, r := range refused {
		if _, err := h.Signal(ctx, id, r.signal, r.outputs, alice); !errors.Is(err, r.want) || !strings.Contains(err.Error(), r.says) {
			t.Errorf("%s: %v, want %v saying %q", r.name, err, r.want, r.says)
		}
	}
	if _, err := h.Signal(ctx, uuid.New(), "prod-deployed", nil, alice); !errors.Is(err, control.ErrNotFound) {
		t.Errorf("unknown execution: %v", err)
	}
	if after := eventCount(t, h, id); after != before {
		t.Errorf("refused signals recorded %d events", after-before)
	}
	// Sent early: the timer has not fired yet.
	if _, err := h.Signal(ctx, id, "prod-deployed", map[string]any{"url": "https://shop/v2"}, alice); err != nil {
		t.Fatal(err)
	}
	state, err := h.engine.Wait(ctx, id)
	if err != nil || state != execution.StateCompleted {
		rep, _, _ := h.Report(ctx, id)
		raw, _ := json.Marshal(rep)
		t.Fatalf("flow ended %s, %v: %s", state, err, raw)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("the flow ended after %s, before the timer's 300ms", took)
	}
	rep, _, err := h.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rep)
	var r struct {
		Blocks []struct {
			Alias    string                  `json:"alias"`
			State    string                  `json:"state"`
			Outputs  map[string]any          `json:"outputs"`
			Executor *execution.ExecutorInfo `json:"executor"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	for _, b := range r.Blocks {
		switch b.Alias {
		case "cool_off":
			fired, err := time.Parse(time.RFC3339Nano, b.Outputs["fired_at"].(string))
			if err != nil || fired.Sub(start) < 300*time.Millisecond {
				t.Errorf("timer fired at %v (%v), want ≥ 300ms after %v", b.Outputs["fired_at"], err, start)
			}
		case "deployed":
			if b.Outputs["url"] != "https://shop/v2" || b.Executor == nil || b.Executor.Identifier != "alice" {
				t.Errorf("signal block: outputs %v, executor %+v; want alice's url", b.Outputs, b.Executor)
			}
		}
	}
	if _, err := h.Signal(ctx, id, "prod-deployed", map[string]any{"url": "x"}, alice); !errors.Is(err, control.ErrInvalid) || !strings.Contains(err.Error(), "has ended") {
		t.Errorf("signal to an ended flow: %v", err)
	}
}

// eventCount counts the signals recorded on a flow execution's own log.
func eventCount(t *testing.T, h *Host, id uuid.UUID) int {
	t.Helper()
	evs, err := h.store.Events(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.EventType == execution.EventProgress && strings.Contains(string(ev.Payload), `"type":"signal"`) {
			n++
		}
	}
	return n
}

// A timer keeps its recorded due time across a host restart: it fires
// then, not a whole wait after the restart.
func TestTimerFiresAtRecordedTimeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	defs := filepath.Join(dir, "defs.yaml")
	if err := os.WriteFile(defs, []byte(strings.Replace(builtinDefs, "wait: 300ms", "wait: 4s", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Definitions = []string{defs}
	cfg.Store.Durability = config.DurabilityAsync
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := Open(&cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Run(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := h.Start(ctx, "Release", nil)
	if err != nil {
		t.Fatal(err)
	}
	due := waitForDue(t, h, id)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// Down for 2 of the 4 seconds: a timer that started its wait over
	// would fire 4 s after the restart, 2 s after its due time.
	time.Sleep(2 * time.Second)
	restarted := time.Now()
	h2, err := Open(&cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if err := h2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h2.Engine().Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Signal(ctx, id, "prod-deployed", map[string]any{"url": "u"}, identity.Caller{User: "bob", Person: "bob"}); err != nil {
		t.Fatal(err)
	}
	if state, err := h2.Engine().Wait(ctx, id); err != nil || state != execution.StateCompleted {
		t.Fatalf("flow ended %s, %v", state, err)
	}
	rep, _, err := h2.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rep)
	var r struct {
		Blocks []struct {
			Alias   string         `json:"alias"`
			Outputs map[string]any `json:"outputs"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	for _, b := range r.Blocks {
		if b.Alias != "cool_off" {
			continue
		}
		fired, err := time.Parse(time.RFC3339Nano, b.Outputs["fired_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if late := fired.Sub(due); late < 0 || late > time.Second {
			t.Errorf("fired at %v, %v after the recorded due %v; want within 1s", fired, late, due)
		}
		if since := fired.Sub(restarted); since > 3*time.Second {
			t.Errorf("fired %v after the restart: the wait started over", since)
		}
	}
}

// waitForDue waits for the timer of the flow's cool_off block to record
// its due time, and returns it.
func waitForDue(t *testing.T, h *Host, flow uuid.UUID) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var due time.Time
		_ = h.Events(context.Background(), flow, 0, false, func(ev execution.Event) error {
			var p struct {
				Type string    `json:"type"`
				Due  time.Time `json:"due"`
			}
			if ev.EventType == execution.EventProgress && json.Unmarshal(ev.Payload, &p) == nil && p.Type == "timer" {
				due = p.Due
			}
			return nil
		})
		if !due.IsZero() {
			return due
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the timer never recorded its due time")
	return time.Time{}
}

// Two nodes wait for the same name with different ports: each signal goes
// to the node it fits, a signal that fits neither is refused, and the flow
// ends when both got theirs.
func TestSignalGoesToTheNodeItFits(t *testing.T) {
	h := openBuiltinHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := h.Start(ctx, "Two Waits", nil)
	if err != nil {
		t.Fatal(err)
	}
	bob := identity.Caller{User: "bob", Person: "bob"}
	if _, err := h.Signal(ctx, id, "go", map[string]any{"colour": "red"}, bob); !errors.Is(err, control.ErrInvalid) {
		t.Fatalf("a signal that fits no node: %v", err)
	}
	for _, out := range []map[string]any{{"count": 3}, {"url": "https://x"}} {
		if _, err := h.Signal(ctx, id, "go", out, bob); err != nil {
			t.Fatal(err)
		}
	}
	if state, err := h.engine.Wait(ctx, id); err != nil || state != execution.StateCompleted {
		rep, _, _ := h.Report(ctx, id)
		raw, _ := json.Marshal(rep)
		t.Fatalf("flow ended %s, %v: %s", state, err, raw)
	}
	rep, _, err := h.Report(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rep)
	for _, want := range []string{`"count":3`, `"url":"https://x"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("report lacks %s: %s", want, raw)
		}
	}
}
