package metrics

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

func event(t *testing.T, id uuid.UUID, typ execution.EventType, payload any, at time.Time, meta map[string]any) execution.Event {
	t.Helper()
	var raw json.RawMessage
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		raw = b
	}
	return execution.Event{ID: uuid.New(), ExecutionID: id, EventType: typ, Payload: raw, Timestamp: at, Metadata: meta}
}

// The metrics a flow with two blocks (one failed) and a condition leave.
func TestObserve(t *testing.T) {
	r := New(nil)
	t0 := time.Now()
	flow, a, b := uuid.New(), uuid.New(), uuid.New()
	shell := map[string]any{"plugin": "shell"}
	for _, ev := range []execution.Event{
		event(t, flow, execution.EventCreated, execution.Created{Kind: execution.KindFlow}, t0, nil),
		event(t, a, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, t0, shell),
		event(t, b, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, t0, shell),
		event(t, a, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, t0, shell), // seen twice: once
		event(t, a, execution.EventCompleted, nil, t0.Add(2*time.Second), nil),
		event(t, flow, execution.EventProgress, execution.ConditionDecision{Type: execution.ProgressConditionDecision, Value: true,
			DecidedBy: &execution.ExecutorInfo{Type: "system"}}, t0, nil),
		event(t, flow, execution.EventProgress, map[string]any{"type": "something else"}, t0, nil),
	} {
		r.Observe(ev)
	}
	if got := testutil.ToFloat64(r.inFlight.WithLabelValues("shell")); got != 1 {
		t.Errorf("in flight %v, want 1 (b still runs)", got)
	}
	r.Observe(event(t, b, execution.EventFailed, execution.Failure{Reason: "x"}, t0.Add(time.Second), nil))
	r.Observe(event(t, flow, execution.EventFailed, execution.Failure{Reason: "x"}, t0.Add(time.Second), nil))
	r.Observe(event(t, uuid.New(), execution.EventCompleted, nil, t0, nil)) // never seen created: ignored

	for _, tt := range []struct {
		name string
		got  float64
		want float64
	}{
		{"blocks started", testutil.ToFloat64(r.started.WithLabelValues("block")), 2},
		{"flows started", testutil.ToFloat64(r.started.WithLabelValues("flow")), 1},
		{"blocks completed", testutil.ToFloat64(r.ended.WithLabelValues("block", "completed")), 1},
		{"blocks failed", testutil.ToFloat64(r.ended.WithLabelValues("block", "failed")), 1},
		{"flows failed", testutil.ToFloat64(r.ended.WithLabelValues("flow", "failed")), 1},
		{"in flight after", testutil.ToFloat64(r.inFlight.WithLabelValues("shell")), 0},
		{"conditions", testutil.ToFloat64(r.conditions.WithLabelValues("system", "true")), 1},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// The histogram saw both blocks, one series per final state.
	if n := testutil.CollectAndCount(r.duration); n != 2 {
		t.Errorf("duration series %d, want 2 (completed and failed)", n)
	}
	out, err := testutil.CollectAndLint(r)
	if err != nil || len(out) > 0 {
		t.Errorf("lint: %v %v", err, out)
	}
}

// Run seeds what is open and follows what comes after.
func TestRunSeedsAndFollows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := memory.New()
	t0 := time.Now()
	openBlock, doneBlock, flow := uuid.New(), uuid.New(), uuid.New()
	appendAll(t, s,
		event(t, flow, execution.EventCreated, execution.Created{Kind: execution.KindFlow}, t0, nil),
		event(t, openBlock, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, t0, map[string]any{"plugin": "llm-stub"}),
		event(t, doneBlock, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, t0, map[string]any{"plugin": "llm-stub"}),
		event(t, doneBlock, execution.EventCompleted, nil, t0, nil),
	)
	r := New(nil)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, s) }()
	// The open block is counted once it is seeded; wait for it, then end it.
	waitFor(t, "the open block seeded", func() bool { return testutil.ToFloat64(r.inFlight.WithLabelValues("llm-stub")) == 1 })
	appendAll(t, s, event(t, openBlock, execution.EventCompleted, nil, t0.Add(time.Second), nil),
		event(t, flow, execution.EventCompleted, nil, t0.Add(time.Second), nil))
	waitFor(t, "the flow's end", func() bool { return testutil.ToFloat64(r.ended.WithLabelValues("flow", "completed")) == 1 })
	if got := testutil.ToFloat64(r.inFlight.WithLabelValues("llm-stub")); got != 0 {
		t.Errorf("in flight %v, want 0", got)
	}
	if got := testutil.ToFloat64(r.ended.WithLabelValues("block", "completed")); got != 1 {
		t.Errorf("blocks completed %v, want 1: the one that ended before the recorder started is history", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func appendAll(t *testing.T, s store.EventStore, evs ...execution.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := s.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls a condition the recorder's goroutine makes true; it has no
// event to wait on but its own metrics.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A schedule is kept in the store as an execution; it is not counted as work.
func TestSchedulesAreNotExecutions(t *testing.T) {
	r := New(nil)
	id := uuid.New()
	r.Observe(event(t, id, execution.EventCreated, map[string]any{"kind": "schedule"}, time.Now(), nil))
	r.Observe(event(t, id, execution.EventCancelled, nil, time.Now(), nil))
	if n := testutil.CollectAndCount(r.started) + testutil.CollectAndCount(r.ended); n != 0 {
		t.Errorf("a schedule made %d execution series", n)
	}
}
