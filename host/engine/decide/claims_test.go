package decide

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// rerunScenario runs a flow that ends (failing, usually), reruns it with
// PlanRerun, applies the claims to a fresh view as the engine does, and
// runs the new execution to its end.
type rerunScenario struct {
	name  string
	build func(f *flowDef)
	// first and second are the plugins' behaviour in the first run and
	// in the rerun (the cause was fixed in between).
	first, second behaviour
	answer        func(a AskCondition) (bool, string)
	from          []string
	inputs        map[string]any
	claimed       []string // aliases claimed, in node order
	state         execution.State
	// runs: alias → the rerun's own block executions (claimed ones are
	// not listed); aliases left out must have none of their own.
	runs    map[string][]string
	outputs map[string]map[string]any
	err     error
}

func chain(f *flowDef) {
	a := f.node("a", []string{"?x"}, []string{"x"})
	b := f.node("b", []string{"x"}, []string{"x"})
	c := f.node("c", []string{"x"}, []string{"x"})
	f.edge(uuid.Nil, a, nil)
	f.edge(a, b, nil)
	f.edge(b, c, nil)
}

// failing makes the nodes named fail; the rest echo x with their alias.
func failing(aliases ...string) behaviour {
	return func(alias string, b *Block) outcome {
		for _, a := range aliases {
			if a == alias {
				return outcome{fail: alias + " broke"}
			}
		}
		switch alias {
		case "implement":
			return outcome{outputs: map[string]any{"code": "v1"}}
		case "review":
			return outcome{outputs: map[string]any{"verdict": "approved", "code": b.Inputs["code"]}}
		case "ship":
			return outcome{outputs: map[string]any{"url": "shipped"}}
		}
		x, _ := b.Inputs["x"].(string)
		return outcome{outputs: map[string]any{"x": x + alias}}
	}
}

func TestPlanRerun(t *testing.T) {
	for _, sc := range []rerunScenario{
		{
			name:  "a chain failing at its last node claims the two before it and runs only that one",
			build: chain, first: failing("c"), second: failing(),
			claimed: []string{"a", "b"}, state: execution.StateCompleted,
			runs:    map[string][]string{"c": ok(1)},
			outputs: map[string]map[string]any{"c": {"x": "abc"}},
		},
		{
			name:  "--from runs the named node and what follows it again",
			build: chain, first: failing("c"), second: failing(), from: []string{"b"},
			claimed: []string{"a"}, state: execution.StateCompleted,
			runs: map[string][]string{"b": ok(1), "c": ok(1)},
		},
		{
			name: "a completed parallel branch is claimed; the join after the failure runs",
			build: func(f *flowDef) {
				a := f.node("a", []string{"?x"}, []string{"x"})
				b := f.node("b", []string{"x"}, []string{"x"})
				c := f.node("c", []string{"x"}, []string{"x"})
				d := f.node("d", []string{"?x"}, []string{"x"})
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, nil)
				f.edge(a, c, nil)
				f.edge(b, d, nil)
				f.edge(c, d, nil)
			},
			first: failing("c"), second: failing(),
			claimed: []string{"a", "b"}, state: execution.StateCompleted,
			runs: map[string][]string{"c": ok(1), "d": ok(1)},
		},
		{
			name: "a dead path is claimed with its skip, so the node after it stays claimed",
			build: func(f *flowDef) {
				a := f.node("a", []string{"?x"}, []string{"x"})
				s := f.node("s", []string{"?x"}, []string{"x"})
				y := f.node("y", []string{"?x"}, []string{"x"})
				c := f.node("c", []string{"x"}, []string{"x"})
				f.edge(uuid.Nil, a, nil)
				f.edge(a, s, cel(`false`))
				f.edge(s, y, nil)
				f.edge(a, y, nil)
				f.edge(y, c, nil)
			},
			first: failing("c"), second: failing(),
			claimed: []string{"a", "s", "y"}, state: execution.StateCompleted,
			runs: map[string][]string{"c": ok(1)},
		},
		{
			name: "a description-only condition on a claimed edge is not asked again",
			build: func(f *flowDef) {
				a := f.node("a", []string{"?x"}, []string{"x"})
				b := f.node("b", []string{"x"}, []string{"x"})
				f.edge(uuid.Nil, a, nil)
				f.edge(a, b, ask("is it good?"))
			},
			first: failing("b"), second: failing(),
			claimed: []string{"a"}, state: execution.StateCompleted,
			runs: map[string][]string{"b": ok(1)},
		},
		{
			name:  "a review loop whose ship failed claims the last implement and review rounds",
			build: reviewLoop(nil), inputs: map[string]any{"ticket": "T-1"},
			first: failing("ship"), second: failing(),
			claimed: []string{"implement", "review"}, state: execution.StateCompleted,
			runs: map[string][]string{"ship": ok(1)},
		},
		{
			name:  "a failure inside a loop runs the whole loop again",
			build: reviewLoop(nil), inputs: map[string]any{"ticket": "T-1"},
			first: failing("review"), second: failing(),
			claimed: nil, state: execution.StateCompleted,
			runs: map[string][]string{"implement": ok(1), "review": ok(1), "ship": ok(1)},
		},
		{
			name:  "a completed for_each node is claimed with every item; the summary after it runs on their list",
			build: perTicket(map[string]any{"items": "outputs.tickets", "as": "ticket"}), inputs: map[string]any{"n": 3},
			first: func(alias string, b *Block) outcome {
				if alias == "summary" {
					return outcome{fail: "summary broke"}
				}
				return ticketWork(nil)(alias, b)
			},
			second:  ticketWork(nil),
			claimed: []string{"split", "work"}, state: execution.StateCompleted,
			runs:    map[string][]string{"summary": ok(1)},
			outputs: map[string]map[string]any{"summary": {"all": []any{"done T-0", "done T-1", "done T-2"}}},
		},
		{
			name:  "a completed execution is refused without --from",
			build: chain, first: failing(), err: ErrNothingToRerun,
		},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runRerun(t, sc)
		})
	}
}

func runRerun(t *testing.T, sc rerunScenario) {
	f := newDef(t, strings.ReplaceAll(sc.name, " ", "_"))
	sc.build(f)
	p := f.plan()
	asked := 0
	answer := func(a AskCondition) (bool, string) { asked++; return true, "" }
	old := newSim(t, p, sc.inputs, sc.first)
	old.answer = answer
	old.run()
	var from []int
	for _, alias := range sc.from {
		from = append(from, p.NodeIndex[tid(p.Flow.Name+"/"+alias)])
	}
	newID := tid("rerun")
	rerun, err := PlanRerun(p, old.v, newID, from)
	if !errors.Is(err, sc.err) {
		t.Fatalf("PlanRerun: %v, want %v", err, sc.err)
	}
	if err != nil {
		return
	}
	var claimed []string
	for _, c := range rerun.Claims {
		claimed = append(claimed, p.Keys[p.NodeIndex[c.NodeReferenceID]])
		if c.FlowExecutionID != old.v.ID {
			t.Errorf("claim of %s shared from %s, want %s", claimed[len(claimed)-1], c.FlowExecutionID, old.v.ID)
		}
	}
	if !reflect.DeepEqual(claimed, sc.claimed) {
		t.Errorf("claimed %v, want %v", claimed, sc.claimed)
	}
	// Apply the rerun as the engine records and reads it.
	s := newSim(t, p, sc.inputs, sc.second)
	s.v = NewView(p, newID, sc.inputs)
	s.order = old.order
	s.answer = func(a AskCondition) (bool, string) {
		t.Errorf("the rerun asked %s again", p.EdgeLabel(a.Edge))
		return true, ""
	}
	ownedBefore := map[uuid.UUID]bool{}
	byID := map[uuid.UUID]*Block{}
	for _, slot := range old.v.Slots {
		for _, b := range slot {
			byID[b.ID] = b
		}
	}
	for _, c := range rerun.Claims {
		n := p.NodeIndex[c.NodeReferenceID]
		for _, id := range c.BlockExecutionIDs {
			b := *byID[id]
			s.v.Add(&b)
			ownedBefore[id] = true
		}
		if p.Items[n] != nil {
			if rec, ok := old.v.Items[ForEachID(old.v.ID, c.NodeReferenceID, c.Iteration)]; ok {
				s.v.Items[ForEachID(newID, c.NodeReferenceID, c.Iteration)] = rec
			}
		}
	}
	for _, d := range rerun.Decisions {
		s.v.Decisions[d.RequestID] = d
	}
	end := s.run()
	if end.State != sc.state {
		t.Errorf("rerun ended %s (%q), want %s", end.State, end.Payload.Reason, sc.state)
	}
	if sc.outputs != nil && !jsonEqual(end.Payload.Outputs, sc.outputs) {
		t.Errorf("outputs = %v, want %v", js(end.Payload.Outputs), js(sc.outputs))
	}
	for i, node := range p.Flow.Nodes {
		var own []string
		for _, b := range s.v.Slots[i] {
			if ownedBefore[b.ID] {
				if !reflect.DeepEqual(*b, *byID[b.ID]) {
					t.Errorf("claimed block of %s changed", node.Alias)
				}
				continue
			}
			name := strconv.Itoa(b.Iteration)
			if b.Index >= 0 {
				name += "[" + strconv.Itoa(b.Index) + "]"
			}
			own = append(own, name+"="+string(b.State))
		}
		if want := sc.runs[node.Alias]; !reflect.DeepEqual(own, want) && (len(own) > 0 || len(want) > 0) {
			t.Errorf("rerun's own runs of %s = %v, want %v", node.Alias, own, want)
		}
	}
	if sc.answer == nil && asked > 1 {
		t.Errorf("the first run asked %d conditions", asked)
	}
}
