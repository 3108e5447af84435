package tracing

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

var timeZero = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func ev(t *testing.T, id uuid.UUID, typ execution.EventType, payload any, at time.Time) execution.Event {
	t.Helper()
	var raw json.RawMessage
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		raw = b
	}
	return execution.Event{ID: uuid.New(), ExecutionID: id, EventType: typ, Payload: raw, Timestamp: at,
		Metadata: map[string]any{"plugin": "shell"}}
}

func catalog(t *testing.T) *core.Catalog {
	t.Helper()
	cat, err := core.LoadFiles(core.File{Name: "d.yaml", Data: []byte(`
kind: work_block
name: Build
version: 1
inputs: []
outputs: []
---
kind: flow
name: Release
version: 1
nodes: [{alias: build, block: Build@1}]
edges: [{to: build}]
---
kind: contract
name: Ship It
version: 1
work_flows: [Release@1]
`)})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// A contract → flow → block run becomes one trace of three nested spans
// with the log's times, states and reasons.
func TestSpansFromTheLog(t *testing.T) {
	cat := catalog(t)
	flowDef, _ := cat.LookupFlow("Release")
	k, _ := cat.LookupContract("Ship It")
	blockDef, _ := cat.LookupWorkBlock("Build")
	exp := tracetest.NewInMemoryExporter()
	f := NewFollower(cat, exp, NewResource("test"), true)
	contract, flow, block := uuid.New(), uuid.New(), uuid.New()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, e := range []execution.Event{
		ev(t, contract, execution.EventCreated, execution.Created{Kind: execution.KindContract, ContractID: k.ID, ContractVersion: 1}, t0),
		ev(t, flow, execution.EventCreated, execution.Created{Kind: execution.KindFlow, FlowID: flowDef.ID, FlowVersion: 1, ParentExecutionID: contract}, t0.Add(time.Millisecond)),
		ev(t, block, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow,
			NodeReferenceID: flowDef.Nodes[0].ID, WorkBlockID: blockDef.ID, WorkBlockVersion: 1, Attempt: 2}, t0.Add(2*time.Millisecond)),
		ev(t, block, execution.EventStarted, nil, t0.Add(3*time.Millisecond)),
		ev(t, block, execution.EventFailed, execution.Failure{Reason: "exit status 1"}, t0.Add(time.Second)),
		ev(t, flow, execution.EventFailed, execution.Failure{Reason: `node "build" failed`}, t0.Add(time.Second)),
		ev(t, contract, execution.EventFailed, execution.Failure{Reason: "work flow failed"}, t0.Add(time.Second)),
	} {
		f.Observe(e)
	}
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
		if s.SpanContext.TraceID() != TraceID(contract) {
			t.Errorf("span %q in trace %s, want the contract's %s", s.Name, s.SpanContext.TraceID(), TraceID(contract))
		}
	}
	b, fl, c := byName["block build (Build)"], byName["flow Release"], byName["contract Ship It"]
	if b.Name == "" || fl.Name == "" || c.Name == "" {
		t.Fatalf("span names %v", spans)
	}
	if b.Parent.SpanID() != SpanID(flow) || fl.Parent.SpanID() != SpanID(contract) || c.Parent.IsValid() {
		t.Errorf("nesting: block's parent %s (want %s), flow's %s (want %s), contract's %v",
			b.Parent.SpanID(), SpanID(flow), fl.Parent.SpanID(), SpanID(contract), c.Parent)
	}
	if b.SpanContext.SpanID() != SpanID(block) {
		t.Errorf("block span id %s, want the derived %s", b.SpanContext.SpanID(), SpanID(block))
	}
	if !b.StartTime.Equal(t0.Add(2*time.Millisecond)) || !b.EndTime.Equal(t0.Add(time.Second)) {
		t.Errorf("block span %v – %v, want the created and failed times", b.StartTime, b.EndTime)
	}
	if b.Status.Code != codes.Error || b.Status.Description != "exit status 1" {
		t.Errorf("block span status %+v", b.Status)
	}
	attrs := map[string]string{}
	for _, a := range b.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	for k, v := range map[string]string{"openoma.plugin": "shell", "openoma.attempt": "2", "openoma.state": "failed", "openoma.execution_id": block.String()} {
		if attrs[k] != v {
			t.Errorf("block span %s = %q, want %q", k, attrs[k], v)
		}
	}
	if tp := TraceParent(contract, block); tp != "00-"+TraceID(contract).String()+"-"+SpanID(block).String()+"-01" {
		t.Errorf("traceparent %s", tp)
	}
}

// A follower that starts while a run is open (a restarted host) puts the
// rest of the run in the same trace.
func TestRunSeedsOpenExecutions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := memory.New()
	root, block := uuid.New(), uuid.New()
	t0 := time.Now()
	put := func(evs ...execution.Event) {
		for _, e := range evs {
			if _, err := s.Append(ctx, []execution.Event{e}, store.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(ev(t, root, execution.EventCreated, execution.Created{Kind: execution.KindFlow}, t0),
		ev(t, block, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: root}, t0))
	exp := tracetest.NewInMemoryExporter()
	f := NewFollower(nil, exp, nil, true)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, s) }()
	// Wait until the follower has seeded both, then end them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.open)
		f.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower did not seed the open executions")
		}
		time.Sleep(5 * time.Millisecond)
	}
	put(ev(t, block, execution.EventCompleted, nil, t0.Add(time.Second)), ev(t, root, execution.EventCompleted, nil, t0.Add(time.Second)))
	for len(exp.GetSpans()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d spans exported, want 2", len(exp.GetSpans()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, sp := range exp.GetSpans() {
		if sp.SpanContext.TraceID() != TraceID(root) {
			t.Errorf("span %q outside the run's trace", sp.Name)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
