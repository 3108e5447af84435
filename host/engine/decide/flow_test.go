package decide

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// scenario is one flow run through Flow and the simulator.
type scenario struct {
	name   string
	build  func(f *flowDef) // the flow
	inputs map[string]any
	behave behaviour
	answer func(a AskCondition) (bool, string)
	during func(s *sim, step int)
	state  execution.State
	reason string // substring of the flow's reason
	// outputs of the flow; nil: not checked.
	outputs map[string]map[string]any
	// runs: alias → its block executions ("iteration[index]#attempt=state"
	// in order); aliases left out must have none.
	runs  map[string][]string
	check func(t *testing.T, s *sim)
}

func ok(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%d=completed", i+1)
	}
	return out
}

// echo completes every block with outputs computed from its inputs.
func echo(f func(alias string, b *Block) map[string]any) behaviour {
	return func(alias string, b *Block) outcome { return outcome{outputs: f(alias, b)} }
}

func plain(outputs map[string]map[string]any) behaviour {
	return func(alias string, b *Block) outcome { return outcome{outputs: outputs[alias]} }
}

func TestFlowScenarios(t *testing.T) {
	for _, sc := range append(append(dagScenarios(), loopScenarios()...), forEachScenarios()...) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc)
		})
	}
}

func runScenario(t *testing.T, sc scenario) {
	f := newDef(t, strings.ReplaceAll(sc.name, " ", "_"))
	sc.build(f)
	p := f.plan()
	behave := sc.behave
	if behave == nil {
		behave = plain(nil)
	}
	s := newSim(t, p, sc.inputs, behave)
	s.answer = sc.answer
	s.during = sc.during
	end := s.run()
	if end.State != sc.state {
		t.Errorf("flow ended %s (%q), want %s", end.State, end.Payload.Reason, sc.state)
	}
	checkReason(t, s, end, sc.reason)
	if sc.outputs != nil && !jsonEqual(end.Payload.Outputs, sc.outputs) {
		t.Errorf("outputs = %v, want %v", js(end.Payload.Outputs), js(sc.outputs))
	}
	got := map[string][]string{}
	for _, n := range p.Flow.Nodes {
		if r := s.runsOf(n.Alias); len(r) > 0 {
			got[n.Alias] = r
		}
	}
	if !reflect.DeepEqual(got, sc.runs) {
		t.Errorf("runs =\n  %v\nwant\n  %v", got, sc.runs)
	}
	if sc.check != nil {
		sc.check(t, s)
	}
	// Once finished, deciding again asks for nothing new.
	for _, a := range Flow(t.Context(), p, s.v, s.now) {
		switch a.(type) {
		case Finish, RecordStart:
		default:
			t.Errorf("after the end, a decision still asks for %T%+v", a, a)
		}
	}
}

func jsonEqual(a, b any) bool { return js(a) == js(b) }

func js(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// checkReason checks that a reason is said once, where it arose: a flow
// that a block stopped names the block's node (and its execution id) and
// says no more — want is then looked for in the block's own reason;
// otherwise in the flow's.
func checkReason(t *testing.T, s *sim, end *Finish, want string) {
	t.Helper()
	reason, culprit := end.Payload.Reason, end.Payload.BlockExecutionID
	if culprit != uuid.Nil {
		var b *Block
		for _, slot := range s.v.Slots {
			for _, x := range slot {
				if x.ID == culprit {
					b = x
				}
			}
		}
		if b == nil {
			t.Fatalf("the flow's culprit %s is not one of its block executions", culprit)
		}
		if label := s.p.Labels[b.Node]; reason != "failed at "+label && reason != "cancelled at "+label {
			t.Errorf("flow reason %q, want only a reference: failed (or cancelled) at %s", reason, label)
		}
		if b.Failure.Reason != "" && strings.Contains(reason, b.Failure.Reason) {
			t.Errorf("flow reason %q repeats its block's %q", reason, b.Failure.Reason)
		}
		reason = b.Failure.Reason
	}
	if !strings.Contains(reason, want) {
		t.Errorf("reason %q, want it to contain %q", reason, want)
	}
}

// latest returns alias's last block execution.
func latest(s *sim, alias string) *Block {
	slot := s.v.Slots[s.p.NodeIndex[tid(s.p.Flow.Name+"/"+alias)]]
	return slot[len(slot)-1]
}

func dagScenarios() []scenario {
	return []scenario{
		{
			name: "linear chain with explicit and same-name wiring",
			build: func(f *flowDef) {
				a := f.node("a", []string{"seed"}, []string{"x"})
				b := f.node("b", []string{"y"}, []string{"z"})
				c := f.node("c", []string{"z"}, []string{"w"})
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil, "x", "y")
				f.edge(b, c, nil)
			},
			inputs: map[string]any{"seed": 41.0},
			behave: echo(func(alias string, b *Block) map[string]any {
				switch alias {
				case "a":
					return map[string]any{"x": b.Inputs["seed"]}
				case "b":
					return map[string]any{"z": b.Inputs["y"].(float64) + 1}
				}
				return map[string]any{"w": b.Inputs["z"]}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"c": {"w": 42.0}},
			runs:    map[string][]string{"a": ok(1), "b": ok(1), "c": ok(1)},
		},
		{
			name: "fan-out and a join that waits for both branches",
			build: func(f *flowDef) {
				s := f.node("split", nil, []string{"n"})
				l := f.node("left", []string{"n"}, []string{"l"})
				l2 := f.node("left2", []string{"l"}, []string{"l"})
				r := f.node("right", []string{"n"}, []string{"r"})
				j := f.node("join", []string{"l", "r"}, []string{"sum"})
				f.edge(uuid.Nil, s, nil)
				f.edge(s, l, nil)
				f.edge(l, l2, nil)
				f.edge(s, r, nil)
				f.edge(l2, j, nil)
				f.edge(r, j, nil)
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				switch alias {
				case "split":
					return map[string]any{"n": 2.0}
				case "left":
					return map[string]any{"l": b.Inputs["n"].(float64) * 10}
				case "left2":
					return map[string]any{"l": b.Inputs["l"]}
				case "right":
					return map[string]any{"r": b.Inputs["n"].(float64) * 100}
				}
				return map[string]any{"sum": b.Inputs["l"].(float64) + b.Inputs["r"].(float64)}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"join": {"sum": 220.0}},
			runs:    map[string][]string{"split": ok(1), "left": ok(1), "left2": ok(1), "right": ok(1), "join": ok(1)},
			check: func(t *testing.T, s *sim) {
				j := latest(s, "join")
				want := []uuid.UUID{latest(s, "left2").ID, latest(s, "right").ID}
				if !reflect.DeepEqual(j.TriggeredBy, want) {
					t.Errorf("join triggered_by = %v, want %v", j.TriggeredBy, want)
				}
			},
		},
		{
			name: "dead path is skipped and the join still runs",
			build: func(f *flowDef) {
				s := f.node("check", nil, []string{"ok"})
				y := f.node("yes", nil, []string{"y"})
				y2 := f.node("yes2", nil, []string{"y2"})
				n := f.node("no", nil, nil)
				n2 := f.node("no2", nil, nil)
				j := f.node("join", nil, []string{"j"})
				f.edge(uuid.Nil, s, nil)
				f.edge(s, y, cel("outputs.ok == true"))
				f.edge(s, n, cel("outputs.ok == false"))
				f.edge(y, y2, nil)
				f.edge(n, n2, nil)
				f.edge(y2, j, nil)
				f.edge(n2, j, nil)
			},
			behave:  plain(map[string]map[string]any{"check": {"ok": true}, "join": {"j": "joined"}}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"join": {"j": "joined"}},
			runs: map[string][]string{"check": ok(1), "yes": ok(1), "yes2": ok(1), "join": ok(1),
				"no": {"1=skipped"}, "no2": {"1=skipped"}},
			check: func(t *testing.T, s *sim) {
				if got := latest(s, "no2").Failure.Reason; !strings.Contains(got, "every incoming edge is dead") {
					t.Errorf("skip reason %q", got)
				}
			},
		},
		{
			name: "skipped terminal node counts as satisfied; CEL sees inputs, source and flow",
			build: func(f *flowDef) {
				s := f.node("start", []string{"level"}, []string{"level"})
				hi := f.node("high", nil, []string{"h"})
				lo := f.node("low", nil, []string{"l"})
				f.edge(uuid.Nil, s, nil)
				f.edge(s, hi, cel("outputs.level > 5"))
				f.edge(s, lo, cel("outputs.level <= 5 && inputs.level == 3 && source.alias == 'start' && flow.name.startsWith('skipped')"))
			},
			inputs: map[string]any{"level": 3},
			behave: echo(func(alias string, b *Block) map[string]any {
				if alias == "start" {
					return b.Inputs
				}
				return map[string]any{"l": "low"}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"low": {"l": "low"}},
			runs:    map[string][]string{"start": ok(1), "low": ok(1), "high": {"1=skipped"}},
		},
		{
			name: "CEL condition on an entry edge over the run inputs",
			build: func(f *flowDef) {
				a := f.node("a", nil, nil)
				b := f.node("b", nil, []string{"b"})
				f.edge(uuid.Nil, a, cel("inputs.go"))
				f.edge(uuid.Nil, b, cel("!inputs.go"))
			},
			inputs:  map[string]any{"go": false},
			behave:  plain(map[string]map[string]any{"b": {"b": 1.0}}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"b": {"b": 1.0}},
			runs:    map[string][]string{"a": {"1=skipped"}, "b": ok(1)},
		},
		{
			name: "CEL condition that errors fails the target and the flow",
			build: func(f *flowDef) {
				a := f.node("a", nil, []string{"x"})
				b := f.node("b", nil, nil)
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, cel("outputs.missing == 1"))
			},
			behave: plain(map[string]map[string]any{"a": {"x": 1}}),
			state:  execution.StateFailed,
			reason: `condition of edges[1] (node "a" → node "b") failed: condition evaluation failed`,
			runs:   map[string][]string{"a": ok(1), "b": {"1=failed"}},
		},
		{
			name: "description-only conditions asked and answered",
			build: func(f *flowDef) {
				a := f.node("draft", nil, []string{"text"})
				b := f.node("publish", []string{"text"}, []string{"url"})
				c := f.node("rework", nil, nil)
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("the draft is good"))
				f.edge(a, c, ask("the draft needs work"))
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				if alias == "draft" {
					return map[string]any{"text": "hello"}
				}
				return map[string]any{"url": "https://x/" + b.Inputs["text"].(string)}
			}),
			answer: func(a AskCondition) (bool, string) {
				good := a.Outputs["text"] == "hello"
				return good == (a.Edge == 1), ""
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"publish": {"url": "https://x/hello"}},
			runs:    map[string][]string{"draft": ok(1), "publish": ok(1), "rework": {"1=skipped"}},
		},
		{
			name: "a condition the plugin cannot judge fails the target",
			build: func(f *flowDef) {
				a := f.node("a", nil, nil)
				b := f.node("b", nil, nil)
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("is it fine?"))
			},
			answer: func(AskCondition) (bool, string) { return false, "this plugin does not judge conditions" },
			state:  execution.StateFailed,
			reason: `condition of edges[1] (node "a" → node "b") failed: this plugin does not judge conditions`,
			runs:   map[string][]string{"a": ok(1), "b": {"1=failed"}},
		},
		{
			name: "missing required input fails the block before any plugin runs",
			build: func(f *flowDef) {
				a := f.node("a", nil, []string{"x"})
				b := f.node("b", []string{"y", "?opt"}, nil)
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil, "nope", "y")
			},
			behave: plain(map[string]map[string]any{"a": {"x": 1}}),
			state:  execution.StateFailed,
			reason: `node "b" (block "b" v1): required input "y" not supplied; considered edges[1] from node "a" with outputs [x]`,
			runs:   map[string][]string{"a": ok(1), "b": {"1=failed"}},
		},
		{
			name: "block failure cancels running siblings and starts nothing new",
			build: func(f *flowDef) {
				s := f.node("start", nil, nil)
				bad := f.node("bad", nil, nil)
				slow := f.node("slow", nil, nil)
				after := f.node("after", nil, nil)
				f.edge(uuid.Nil, s, nil)
				f.edge(s, slow, nil)
				f.edge(s, bad, nil)
				f.edge(slow, after, nil)
			},
			behave: func(alias string, b *Block) outcome {
				switch alias {
				case "slow":
					return outcome{hang: true}
				case "bad":
					return outcome{fail: "disk full"}
				}
				return outcome{}
			},
			state:  execution.StateFailed,
			reason: `disk full`,
			runs:   map[string][]string{"start": ok(1), "bad": {"1=failed"}, "slow": {"1=cancelled"}},
			check: func(t *testing.T, s *sim) {
				if got := latest(s, "slow").Failure.Reason; got != `flow is stopping: node "bad" failed` {
					t.Errorf("cancel reason %q", got)
				}
			},
		},
		{
			name: "retry succeeds on attempt 2 after its backoff",
			build: func(f *flowDef) {
				a := f.node("flaky", nil, []string{"ok"}, map[string]any{"retry": map[string]any{"max_attempts": 3, "backoff": "20s"}})
				f.edge(uuid.Nil, a, nil)
			},
			behave: func(alias string, b *Block) outcome {
				if b.Attempt == 1 {
					return outcome{fail: "flaky"}
				}
				return outcome{outputs: map[string]any{"ok": true}}
			},
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"flaky": {"ok": true}},
			runs:    map[string][]string{"flaky": {"1=failed", "1#2=completed"}},
			check: func(t *testing.T, s *sim) {
				slot := s.v.Slots[0]
				if gap := slot[1].CreatedAt.Sub(slot[0].EndedAt); gap != 20*time.Second {
					t.Errorf("attempt 2 created %s after attempt 1 failed, want the 20s backoff", gap)
				}
			},
		},
		{
			name: "retry policy exhausted fails the flow",
			build: func(f *flowDef) {
				a := f.node("broken", nil, nil, map[string]any{"retry": map[string]any{"max_attempts": 2, "backoff": "1ms"}})
				f.edge(uuid.Nil, a, nil)
			},
			behave: func(string, *Block) outcome { return outcome{fail: "always"} },
			state:  execution.StateFailed,
			reason: `always`,
			runs:   map[string][]string{"broken": {"1=failed", "1#2=failed"}},
		},
		{
			name: "cancel request stops the flow",
			build: func(f *flowDef) {
				a := f.node("a", nil, nil)
				b := f.node("b", nil, nil)
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil)
			},
			behave: func(string, *Block) outcome { return outcome{hang: true} },
			during: func(s *sim, step int) {
				if step == 2 {
					s.v.Cancel = &CancelRequest{Type: ProgressCancelRequested, Reason: "operator said stop"}
				}
			},
			state:  execution.StateCancelled,
			reason: "operator said stop",
			runs:   map[string][]string{"a": {"1=cancelled"}},
		},
		{
			name: "node without incoming edges takes run inputs by name",
			build: func(f *flowDef) {
				f.node("solo", []string{"name"}, []string{"greeting"})
			},
			inputs: map[string]any{"name": "Ada", "unused": 1},
			behave: echo(func(alias string, b *Block) map[string]any {
				return map[string]any{"greeting": "hi " + b.Inputs["name"].(string)}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"solo": {"greeting": "hi Ada"}},
			runs:    map[string][]string{"solo": ok(1)},
		},
		{
			name: "timeout fails the block naming it, then its retry runs",
			build: func(f *flowDef) {
				a := f.node("slow", nil, []string{"ok"}, map[string]any{
					"timeout": "5m", "retry": map[string]any{"max_attempts": 2, "backoff": "1s"},
				})
				f.edge(uuid.Nil, a, nil)
			},
			behave: func(alias string, b *Block) outcome {
				if b.Attempt == 1 {
					return outcome{hang: true}
				}
				return outcome{outputs: map[string]any{"ok": true}}
			},
			state: execution.StateCompleted,
			runs:  map[string][]string{"slow": {"1=failed", "1#2=completed"}},
			check: func(t *testing.T, s *sim) {
				first := s.v.Slots[0][0]
				if !strings.Contains(first.Failure.Reason, "timed out: not finished within its timeout of 5m0s") || first.Failure.Code != CodeTimeout {
					t.Errorf("timeout failure = %+v", first.Failure)
				}
				if got := first.EndedAt.Sub(first.CreatedAt); got != 5*time.Minute {
					t.Errorf("failed %s after creation, want at the 5m deadline", got)
				}
				if first.Deadline != first.CreatedAt.Add(5*time.Minute) {
					t.Errorf("deadline %s, created %s", first.Deadline, first.CreatedAt)
				}
			},
		},
		{
			name: "timeout without retry fails the flow",
			build: func(f *flowDef) {
				f.node("slow", nil, nil, map[string]any{"timeout": "90s"})
			},
			behave: func(string, *Block) outcome { return outcome{hang: true} },
			state:  execution.StateFailed,
			reason: `node "slow": timed out: not finished within its timeout of 1m30s`,
			runs:   map[string][]string{"slow": {"1=failed"}},
		},
	}
}

// TestCutShortDecisionDoesNotEnd: a decision whose CEL evaluation is cut
// short by its context (the host shutting down) leaves the edge undecided
// and records nothing — above all not the end of a flow that merely could
// not be decided this time.
func TestCutShortDecisionDoesNotEnd(t *testing.T) {
	f := newDef(t, "cut")
	a := f.node("a", nil, []string{"x"})
	b := f.node("b", nil, nil)
	f.edge(uuid.Nil, a, nil)
	f.edge(a, b, cel("outputs.x.all(i, i >= 0)")) // long enough for CEL to check its context
	p := f.plan()
	v := NewView(p, tid("x"), nil)
	v.Started = true
	list := make([]any, 1000)
	for i := range list {
		list[i] = i
	}
	v.Add(&Block{ID: tid("a1"), Node: 0, Iteration: 1, Index: -1, Attempt: 1, Order: 1,
		State: execution.StateCompleted, Outputs: map[string]any{"x": list}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Flow(ctx, p, v, time.Now()); len(got) != 0 {
		t.Errorf("a decision cut short asked for %v, want nothing", describe(got))
	}
	if got := Flow(context.Background(), p, v, time.Now()); len(got) != 2 {
		t.Errorf("the same decision, not cut short = %v, want the decision and b's creation", describe(got))
	}
}
