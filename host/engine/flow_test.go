package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// scenario is one flow run: a flow built on a fresh catalog, what the fake
// plugin does, and what the user then sees in Status.
type scenario struct {
	name    string
	build   func(t *testing.T, f *flowBuilder, p *fakePlugin)
	inputs  map[string]any
	opts    []harnessOption
	during  func(t *testing.T, h *harness, id uuid.UUID) // while it runs
	state   execution.State
	reason  string                    // substring of the flow's reason
	outputs map[string]map[string]any // nil: not checked
	// blocks: alias → the states of its attempts, in order; aliases not
	// listed must have no block execution.
	blocks      map[string][]execution.State
	blockReason map[string]string // alias → substring of its latest reason
}

func TestFlowScenarios(t *testing.T) {
	plus := func(in map[string]any) map[string]any { return map[string]any{"z": in["y"].(float64) + 1} }
	completedOnce := []execution.State{execution.StateCompleted}
	done := func(aliases ...string) map[string][]execution.State {
		m := map[string][]execution.State{}
		for _, a := range aliases {
			m[a] = completedOnce
		}
		return m
	}
	scenarios := []scenario{
		{
			name: "linear chain with explicit and same-name wiring",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("A", []string{"seed"}, []string{"x"}))
				b := f.node("b", block("B", []string{"y"}, []string{"z"}))
				c := f.node("c", block("C", []string{"z"}, []string{"w"}))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil, "x", "y")
				f.edge(b, c, nil)
				p.behaviours["A"] = produce(func(in map[string]any) map[string]any { return map[string]any{"x": in["seed"]} })
				p.behaviours["B"] = produce(plus)
				p.behaviours["C"] = produce(func(in map[string]any) map[string]any { return map[string]any{"w": in["z"]} })
			},
			inputs:  map[string]any{"seed": 41.0},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"c": {"w": 42.0}},
			blocks:  done("a", "b", "c"),
		},
		{
			name: "fan-out and fan-in join",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				s := f.node("split", block("Split", nil, []string{"n"}))
				l := f.node("left", block("Left", []string{"n"}, []string{"l"}))
				r := f.node("right", block("Right", []string{"n"}, []string{"r"}))
				j := f.node("join", block("Join", []string{"l", "r"}, []string{"sum"}))
				f.edge(uuid.Nil, s, nil)
				f.edge(s, l, nil)
				f.edge(s, r, nil)
				f.edge(l, j, nil)
				f.edge(r, j, nil)
				p.behaviours["Split"] = outputs(map[string]any{"n": 2.0})
				p.behaviours["Left"] = produce(func(in map[string]any) map[string]any { return map[string]any{"l": in["n"].(float64) * 10} })
				p.behaviours["Right"] = produce(func(in map[string]any) map[string]any { return map[string]any{"r": in["n"].(float64) * 100} })
				p.behaviours["Join"] = produce(func(in map[string]any) map[string]any {
					return map[string]any{"sum": in["l"].(float64) + in["r"].(float64)}
				})
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"join": {"sum": 220.0}},
			blocks:  done("split", "left", "right", "join"),
		},
		{
			name: "conditional branch: dead path is skipped and the join still runs",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				s := f.node("check", block("Check", nil, []string{"ok"}))
				y := f.node("yes", block("Yes", nil, []string{"y"}))
				y2 := f.node("yes2", block("Yes2", nil, []string{"y2"}))
				n := f.node("no", block("No", nil, nil))
				n2 := f.node("no2", block("No2", nil, nil))
				j := f.node("join", block("Join2", nil, []string{"j"}))
				f.edge(uuid.Nil, s, nil)
				f.edge(s, y, cel("outputs.ok == true"))
				f.edge(s, n, cel("outputs.ok == false"))
				f.edge(y, y2, nil)
				f.edge(n, n2, nil)
				f.edge(y2, j, nil)
				f.edge(n2, j, nil)
				p.behaviours["Check"] = outputs(map[string]any{"ok": true})
				p.behaviours["Join2"] = outputs(map[string]any{"j": "joined"})
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"join": {"j": "joined"}},
			blocks: map[string][]execution.State{
				"check": completedOnce, "yes": completedOnce, "yes2": completedOnce, "join": completedOnce,
				"no": {execution.StateSkipped}, "no2": {execution.StateSkipped},
			},
			blockReason: map[string]string{"no2": "every incoming edge is dead"},
		},
		{
			name: "skipped terminal node counts as satisfied",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				s := f.node("start", block("Start", []string{"level"}, []string{"level"}))
				hi := f.node("high", block("High", nil, []string{"h"}))
				lo := f.node("low", block("Low", nil, []string{"l"}))
				f.edge(uuid.Nil, s, nil)
				f.edge(s, hi, cel("outputs.level > 5"))
				f.edge(s, lo, cel("outputs.level <= 5 && inputs.level == 3 && source.alias == 'start' && flow.name == 'skipped terminal node counts as satisfied'"))
				p.behaviours["Start"] = produce(func(in map[string]any) map[string]any { return in })
				p.behaviours["Low"] = outputs(map[string]any{"l": "low"})
			},
			inputs:  map[string]any{"level": 3},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"low": {"l": "low"}},
			blocks:  map[string][]execution.State{"start": completedOnce, "low": completedOnce, "high": {execution.StateSkipped}},
		},
		{
			name: "CEL condition on an entry edge over the run inputs",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("A1", nil, nil))
				b := f.node("b", block("B1", nil, []string{"b"}))
				f.edge(uuid.Nil, a, cel("inputs.go"))
				f.edge(uuid.Nil, b, cel("!inputs.go"))
				p.behaviours["B1"] = outputs(map[string]any{"b": 1.0})
			},
			inputs:  map[string]any{"go": false},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"b": {"b": 1.0}},
			blocks:  map[string][]execution.State{"a": {execution.StateSkipped}, "b": completedOnce},
		},
		{
			name: "CEL condition that errors fails the target and the flow",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("A2", nil, []string{"x"}))
				b := f.node("b", block("B2", nil, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, cel("outputs.missing == 1"))
				p.behaviours["A2"] = outputs(map[string]any{"x": 1})
			},
			state:       execution.StateFailed,
			reason:      `failed at node "b"`,
			blocks:      map[string][]execution.State{"a": completedOnce, "b": {execution.StateFailed}},
			blockReason: map[string]string{"b": `condition of edges[1] (node "a" → node "b") failed: condition evaluation failed`},
		},
		{
			// A conditions plugin that dies under the call is not a failed
			// condition: the question is asked again once it is back.
			name: "conditions plugin unavailable, then answers",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("draft", block("Draft", nil, []string{"text"}))
				b := f.node("publish", block("Publish", nil, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("the draft is good"))
				p.behaviours["Draft"] = outputs(map[string]any{"text": "hello"})
				var calls atomic.Int32
				p.conditions = func(req sdk.ConditionRequest) (sdk.ConditionResult, error) {
					if calls.Add(1) == 1 {
						return sdk.ConditionResult{}, fmt.Errorf("process exited: %w", sdk.ErrUnavailable)
					}
					return sdk.ConditionResult{Value: true, Reason: "fine"}, nil
				}
			},
			state:  execution.StateCompleted,
			blocks: map[string][]execution.State{"draft": completedOnce, "publish": completedOnce},
		},
		{
			name: "description-only condition answered at once",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("draft", block("Draft", nil, []string{"text"}))
				b := f.node("publish", block("Publish", []string{"text"}, []string{"url"}))
				c := f.node("rework", block("Rework", nil, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("the draft is good"))
				f.edge(a, c, ask("the draft needs work"))
				p.behaviours["Draft"] = outputs(map[string]any{"text": "hello"})
				p.behaviours["Publish"] = produce(func(in map[string]any) map[string]any {
					return map[string]any{"url": "https://x/" + in["text"].(string)}
				})
				p.conditions = func(req sdk.ConditionRequest) (sdk.ConditionResult, error) {
					good := req.Context.SourceOutputs["text"] == "hello"
					if req.Condition.Description == "the draft needs work" {
						good = !good
					}
					return sdk.ConditionResult{Value: good, Reason: "read it"}, nil
				}
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"publish": {"url": "https://x/hello"}, "rework": nil},
			blocks:  map[string][]execution.State{"draft": completedOnce, "publish": completedOnce, "rework": {execution.StateSkipped}},
		},
		{
			name: "description-only condition answered later by a decision event",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("ask", block("Ask", nil, nil))
				b := f.node("ship", block("Ship", nil, []string{"shipped"}))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("a person approves"))
				p.behaviours["Ship"] = outputs(map[string]any{"shipped": true})
				p.conditions = func(sdk.ConditionRequest) (sdk.ConditionResult, error) {
					return sdk.ConditionResult{Pending: true}, nil
				}
			},
			during: func(t *testing.T, h *harness, flow uuid.UUID) {
				eventually(t, "the condition is asked", func() bool { return len(h.plugin.callsOf("condition")) == 1 })
				if got := h.status(flow).State; got != execution.StateInProgress {
					t.Errorf("while waiting for the decision, state = %s, want in_progress", got)
				}
				req := h.plugin.callsOf("condition")[0].cond
				d := execution.ConditionDecision{
					Type: execution.ProgressConditionDecision, RequestID: req.RequestID, EdgeIndex: req.EdgeIndex,
					SourceExecutionID: req.SourceExecutionID, Value: true, Reason: "approved by Ada",
					DecidedBy: &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "ada"},
				}
				ev, err := execution.NewEvent(req.FlowExecutionID, execution.EventProgress, d.DecidedBy, d)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := req.Store.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"ship": {"shipped": true}},
			blocks:  done("ask", "ship"),
		},
		{
			name: "description-only condition without an answer fails the target",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("A3", nil, nil))
				b := f.node("b", block("B3", nil, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("is it fine?"))
			},
			state:       execution.StateFailed,
			blocks:      map[string][]execution.State{"a": completedOnce, "b": {execution.StateFailed}},
			blockReason: map[string]string{"b": `plugin "fake": EvaluateCondition: this plugin does not judge conditions`},
		},
		{
			name: "missing required input fails the block before any plugin runs",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("A4", nil, []string{"x"}))
				b := f.node("b", block("B4", []string{"y", "?opt"}, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil, "nope", "y")
				p.behaviours["A4"] = outputs(map[string]any{"x": 1})
			},
			state:  execution.StateFailed,
			reason: `failed at node "b"`,
			blocks: map[string][]execution.State{"a": completedOnce, "b": {execution.StateFailed}},
			blockReason: map[string]string{"b": `node "b" (block "B4" v1): required input "y" not supplied; ` +
				`considered edges[1] from node "a" with outputs [x]`},
		},
		{
			name: "block failure cancels running siblings",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				s := f.node("start", block("S5", nil, nil))
				bad := f.node("bad", block("Bad", nil, nil))
				slow := f.node("slow", block("Slow", nil, nil))
				after := f.node("after", block("After", nil, nil))
				f.edge(uuid.Nil, s, nil)
				f.edge(s, bad, nil)
				f.edge(s, slow, nil)
				f.edge(slow, after, nil)
				p.behaviours["Bad"] = func(ctx context.Context, r *blockRun) error {
					// Fail only once the sibling is running.
					eventually(t, "slow started", func() bool { return len(p.callsOf("execute")) >= 3 })
					return failing("disk full")(ctx, r)
				}
				p.behaviours["Slow"] = hanging
			},
			state:       execution.StateFailed,
			reason:      `failed at node "bad"`,
			blocks:      map[string][]execution.State{"start": completedOnce, "bad": {execution.StateFailed}, "slow": {execution.StateCancelled}},
			blockReason: map[string]string{"bad": "disk full", "slow": `flow is stopping: node "bad" failed`},
		},
		{
			name: "retry succeeds on attempt 2",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("flaky", block("Flaky", nil, []string{"ok"}),
					map[string]any{"retry": map[string]any{"max_attempts": 3, "backoff": "20ms"}})
				f.edge(uuid.Nil, a, nil)
				p.behaviours["Flaky"] = failUntil(2, map[string]any{"ok": true})
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"flaky": {"ok": true}},
			blocks:  map[string][]execution.State{"flaky": {execution.StateFailed, execution.StateCompleted}},
		},
		{
			name: "retry policy on the block, exhausted",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				b := block("Broken", nil, nil)
				b.Metadata["retry"] = map[string]any{"max_attempts": 2.0, "backoff": "1ms"}
				a := f.node("broken", b)
				f.edge(uuid.Nil, a, nil)
				p.behaviours["Broken"] = failing("always")
			},
			state:       execution.StateFailed,
			reason:      `failed at node "broken"`,
			blocks:      map[string][]execution.State{"broken": {execution.StateFailed, execution.StateFailed}},
			blockReason: map[string]string{"broken": "always"},
		},
		{
			name: "unroutable block fails with the routing error",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("robot", block("Weld", nil, nil, "robot", "welding"))
				f.edge(uuid.Nil, a, nil)
			},
			state:  execution.StateFailed,
			blocks: map[string][]execution.State{"robot": {execution.StateFailed}},
			blockReason: map[string]string{"robot": `node "robot": block "Weld" v1 has hints [robot, welding]: ` +
				`no plugin serves all of them; considered fake [shell, agent, human]`},
		},
		{
			name: "adapter error fails the block with its reason",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("Boom", nil, nil))
				f.edge(uuid.Nil, a, nil)
				p.executeErr = map[string]error{"Boom": errors.New("connection reset")}
			},
			state:       execution.StateFailed,
			blocks:      map[string][]execution.State{"a": {execution.StateFailed}},
			blockReason: map[string]string{"a": `plugin "fake": ExecuteBlock failed: connection reset`},
		},
		{
			name: "adapter that never answers times out",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("Mute", nil, nil))
				f.edge(uuid.Nil, a, nil)
				p.executeBlocks = map[string]bool{"Mute": true}
			},
			opts: []harnessOption{withCallTimeout(100 * time.Millisecond)},
			during: func(t *testing.T, h *harness, flow uuid.UUID) {
				// The plugin may still be working: after the failure the
				// host asks it to stop, so a retry cannot run it twice.
				eventually(t, "the timed-out block is cancelled at the plugin", func() bool {
					return len(h.plugin.callsOf("cancel")) == 1
				})
			},
			state:       execution.StateFailed,
			blocks:      map[string][]execution.State{"a": {execution.StateFailed}},
			blockReason: map[string]string{"a": `plugin "fake": ExecuteBlock did not answer within 100ms`},
		},
		{
			// The plugin accepts a block's cancellation but never records
			// it: the host does, after the call timeout.
			name: "block cancel the plugin never confirms",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("Wait", nil, nil))
				f.edge(uuid.Nil, a, nil)
				p.behaviours["Wait"] = hanging
				p.silentCancel = true
			},
			opts: []harnessOption{withCallTimeout(200 * time.Millisecond)},
			during: func(t *testing.T, h *harness, flow uuid.UUID) {
				eventually(t, "a runs", func() bool { return len(h.plugin.callsOf("execute")) == 1 })
				blocks, err := h.store.ListExecutions(context.Background(), store.Filter{Parent: flow})
				if err != nil || len(blocks) != 1 {
					t.Fatalf("blocks of the flow: %v, %v", blocks, err)
				}
				if err := h.engine.Cancel(context.Background(), blocks[0].ID, "operator said stop"); err != nil {
					t.Fatal(err)
				}
			},
			state:       execution.StateCancelled,
			blocks:      map[string][]execution.State{"a": {execution.StateCancelled}},
			blockReason: map[string]string{"a": `operator said stop (plugin "fake" accepted but did not record it within 200ms)`},
		},
		{
			name: "cancel request stops the flow",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				a := f.node("a", block("Wait", nil, nil))
				b := f.node("b", block("Never", nil, nil))
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil)
				p.behaviours["Wait"] = hanging
			},
			during: func(t *testing.T, h *harness, flow uuid.UUID) {
				eventually(t, "a runs", func() bool { return len(h.plugin.callsOf("execute")) == 1 })
				if err := h.engine.Cancel(context.Background(), flow, "operator said stop"); err != nil {
					t.Fatal(err)
				}
			},
			state:  execution.StateCancelled,
			reason: "operator said stop",
			blocks: map[string][]execution.State{"a": {execution.StateCancelled}},
		},
		{
			name: "node without incoming edges takes run inputs by name",
			build: func(t *testing.T, f *flowBuilder, p *fakePlugin) {
				f.node("solo", block("Solo", []string{"name"}, []string{"greeting"}))
				p.behaviours["Solo"] = produce(func(in map[string]any) map[string]any { return map[string]any{"greeting": "hi " + in["name"].(string)} })
			},
			inputs:  map[string]any{"name": "Ada", "unused": 1},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"solo": {"greeting": "hi Ada"}},
			blocks:  done("solo"),
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc)
		})
	}
}

func runScenario(t *testing.T, sc scenario) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	f := newFlow(t, cat, sc.name)
	sc.build(t, f, p)
	flow := f.add()
	h := newHarness(t, cat, nil, p, sc.opts...)
	id, err := h.engine.StartFlow(context.Background(), flow.Name, sc.inputs)
	if err != nil {
		t.Fatalf("StartFlow: %v", err)
	}
	if sc.during != nil {
		sc.during(t, h, id)
	}
	if got := h.wait(id); got != sc.state {
		t.Errorf("Wait = %s, want %s", got, sc.state)
	}
	r := h.status(id)
	if r.State != sc.state {
		t.Errorf("Status.State = %s, want %s (reason %q)", r.State, sc.state, r.Reason)
	}
	if !strings.Contains(r.Reason, sc.reason) {
		t.Errorf("Status.Reason = %q, want it to contain %q", r.Reason, sc.reason)
	}
	if sc.outputs != nil {
		want := map[string]map[string]any{}
		for k, v := range sc.outputs {
			if v != nil {
				want[k] = v
			}
		}
		if !jsonEqual(r.Outputs, want) {
			t.Errorf("Outputs = %v, want %v", r.Outputs, want)
		}
	}
	got := map[string][]execution.State{}
	latest := map[string]BlockReport{}
	for _, b := range r.Blocks {
		got[b.Alias] = append(got[b.Alias], b.State)
		if b.Attempt != len(got[b.Alias]) {
			t.Errorf("block %s: attempt %d listed at position %d", b.Alias, b.Attempt, len(got[b.Alias]))
		}
		latest[b.Alias] = b
	}
	if !reflect.DeepEqual(got, sc.blocks) {
		t.Errorf("blocks = %v, want %v", got, sc.blocks)
	}
	for alias, want := range sc.blockReason {
		if !strings.Contains(latest[alias].Reason, want) {
			t.Errorf("block %s reason = %q, want it to contain %q", alias, latest[alias].Reason, want)
		}
	}
	if r.Progress == nil || r.Progress.Done != len(sc.blocks) {
		t.Errorf("Progress = %+v, want %d done", r.Progress, len(sc.blocks))
	}
	checkNoDuplicates(t, h, id)
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// checkNoDuplicates asserts the flow's log and each block's log hold each
// lifecycle event at most once.
func checkNoDuplicates(t *testing.T, h *harness, flow uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	ids := []uuid.UUID{flow}
	children, err := h.store.ListExecutions(ctx, store.Filter{Parent: flow})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		events, err := h.store.Events(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[execution.EventType]int{}
		for _, ev := range events {
			seen[ev.EventType]++
		}
		for _, typ := range []execution.EventType{execution.EventCreated, execution.EventStarted, execution.EventOutcomeProduced,
			execution.EventCompleted, execution.EventFailed, execution.EventCancelled, execution.EventSkipped} {
			if seen[typ] > 1 {
				t.Errorf("execution %s has %d %s events", id, seen[typ], typ)
			}
		}
	}
}

func TestStartFlowRefusesWhatCannotRun(t *testing.T) {
	cat := core.NewCatalog()
	bad := newFlow(t, cat, "BadPolicy")
	x := bad.node("x", block("X", nil, nil), map[string]any{"retry": map[string]any{"max_attempts": 0, "backof": "1s"}})
	bad.edge(uuid.Nil, x, cel("inputs.a +"))
	bad.add()

	h := newHarness(t, cat, nil, nil)
	tests := []struct {
		ref     string
		is      error
		wantErr []string
	}{
		{ref: "BadPolicy@1", is: ErrNotRunnable, wantErr: []string{`flows/BadPolicy.yaml: flow "BadPolicy" v1: nodes[0] (node "x")`,
			`metadata.retry.backof: unknown key "backof"`, "edges[0].condition.predicate: condition does not compile"}},
		{ref: "Nope", is: ErrUnknownDefinition, wantErr: []string{`no flow "Nope" in the catalog`}},
		{ref: "BadPolicy@x", is: ErrUnknownDefinition, wantErr: []string{"version after @"}},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := h.engine.StartFlow(context.Background(), tc.ref, nil)
			if !errors.Is(err, tc.is) {
				t.Fatalf("StartFlow = %v, want %v", err, tc.is)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
	open, _ := h.store.ListExecutions(context.Background(), store.Filter{})
	if len(open) != 0 {
		t.Errorf("%d executions recorded for refused starts, want none", len(open))
	}
}

func TestBlockProvenanceAndCreatedPayload(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Prov")
	a := f.node("a", block("PA", nil, []string{"v"}))
	b := f.node("b", block("PB", nil, []string{"v"}))
	j := f.node("j", block("PJ", []string{"v"}, nil))
	f.edge(uuid.Nil, a, nil)
	f.edge(uuid.Nil, b, nil)
	f.edge(a, j, nil)
	f.edge(b, j, nil)
	flow := f.add()
	p := newFakePlugin("fake", "1")
	p.behaviours["PA"] = outputs(map[string]any{"v": "from a"})
	p.behaviours["PB"] = outputs(map[string]any{"v": "from b"})
	h := newHarness(t, cat, nil, p)
	id, err := h.engine.StartFlow(context.Background(), "Prov", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(id)
	jid := blockExecutionID(id, j, 1)
	events, _ := h.store.Events(context.Background(), jid, 0)
	c, err := execution.CreatedOf(events)
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{blockExecutionID(id, a, 1), blockExecutionID(id, b, 1)}
	if !reflect.DeepEqual(c.TriggeredBy, want) {
		t.Errorf("triggered_by = %v, want %v", c.TriggeredBy, want)
	}
	if c.FlowExecutionID != id || c.NodeReferenceID != j || c.Attempt != 1 || c.WorkBlockID != flow.Nodes[2].TargetID {
		t.Errorf("created payload = %+v", c)
	}
	if c.Inputs["v"] != "from b" {
		t.Errorf("inputs = %v: a later edge overrides an earlier one on the same port", c.Inputs)
	}
	if events[0].Metadata[MetadataPlugin] != "fake" {
		t.Errorf("created metadata = %v, want the plugin recorded", events[0].Metadata)
	}
	// The flow log records its start, and its outputs on its end.
	flowEvents, _ := h.store.Events(context.Background(), id, 0)
	var types []execution.EventType
	for _, ev := range flowEvents {
		types = append(types, ev.EventType)
	}
	if !reflect.DeepEqual(types, []execution.EventType{execution.EventCreated, execution.EventStarted, execution.EventCompleted}) {
		t.Errorf("flow log = %v", types)
	}
}

func TestConcurrencyIsBoundedPerPlugin(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Wide")
	const n = 12
	for i := range n {
		x := f.node(string(rune('a'+i)), block("W", nil, nil))
		f.edge(uuid.Nil, x, nil)
	}
	f.add()
	p := newFakePlugin("fake", "1")
	var running, peak int64
	var mu = make(chan struct{}, 1)
	p.behaviours["W"] = func(ctx context.Context, r *blockRun) error {
		mu <- struct{}{}
		running++
		peak = max(peak, running)
		<-mu
		time.Sleep(10 * time.Millisecond)
		mu <- struct{}{}
		running--
		<-mu
		return outputs(nil)(ctx, r)
	}
	h := newHarness(t, cat, nil, p, func(c *Config, _ *router.Config) { c.MaxConcurrency = map[string]int{"fake": 3} })
	id, err := h.engine.StartFlow(context.Background(), "Wide", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(id); s != execution.StateCompleted {
		t.Fatalf("state %s", s)
	}
	mu <- struct{}{}
	defer func() { <-mu }()
	if peak > 3 || peak < 2 {
		t.Errorf("peak concurrency %d, want at most 3 (and some parallelism)", peak)
	}
}
