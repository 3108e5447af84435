package decide

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// The tests of this package run flows through Flow alone: a simulator
// stands in for the executor and the plugins. It applies each decision's
// actions to the view the way the engine records them (store positions in
// the order the executor appends), then lets the plugins finish one open
// block per step, oldest first — so a join always sees one branch end
// before the other — until the flow finishes.

var testNS = uuid.MustParse("0b6f6a3c-0d7e-4c4e-9a55-7b2f7c1d9e10")

func tid(name string) uuid.UUID { return uuid.NewSHA1(testNS, []byte(name)) }

type flowDef struct {
	t    testing.TB
	cat  *core.Catalog
	flow core.Flow
}

func newDef(t testing.TB, name string) *flowDef {
	return &flowDef{t: t, cat: core.NewCatalog(), flow: core.Flow{ID: tid("flow/" + name), Version: 1, Name: name, Metadata: core.Metadata{}}}
}

// node adds a node with alias running a block of the same name (added to
// the catalog if new) with the given ports ("?x": optional input).
func (f *flowDef) node(alias string, inputs, outputs []string, meta ...map[string]any) uuid.UUID {
	b := core.WorkBlock{ID: tid("block/" + alias), Version: 1, Name: alias, Metadata: core.Metadata{}}
	for _, in := range inputs {
		required := true
		if len(in) > 0 && in[0] == '?' {
			in, required = in[1:], false
		}
		b.Inputs = append(b.Inputs, core.PortDescriptor{Name: in, Required: required})
	}
	for _, out := range outputs {
		b.Outputs = append(b.Outputs, core.PortDescriptor{Name: out})
	}
	if err := f.cat.AddWorkBlock(b, core.Source{}); err != nil {
		f.t.Fatal(err)
	}
	n := core.NodeReference{ID: tid(f.flow.Name + "/" + alias), TargetID: b.ID, TargetVersion: 1, Alias: alias, Metadata: core.Metadata{}}
	if len(meta) > 0 {
		n.Metadata = meta[0]
	}
	f.flow.Nodes = append(f.flow.Nodes, n)
	return n.ID
}

func (f *flowDef) edge(from, to uuid.UUID, cond *core.Condition, mappings ...string) {
	e := core.Edge{SourceID: from, TargetID: to, Condition: cond}
	for i := 0; i+1 < len(mappings); i += 2 {
		e.PortMappings = append(e.PortMappings, core.PortMapping{SourcePort: mappings[i], TargetPort: mappings[i+1]})
	}
	f.flow.Edges = append(f.flow.Edges, e)
}

func (f *flowDef) plan() *Plan {
	f.t.Helper()
	if err := f.cat.AddFlow(f.flow, core.Source{}); err != nil {
		f.t.Fatal(err)
	}
	got, _ := f.cat.Flow(f.flow.ID, f.flow.Version)
	c, err := condition.NewCompiler()
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := NewPlan(f.cat, c, got, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func cel(expr string) *core.Condition { return &core.Condition{Predicate: map[string]any{"cel": expr}} }

func ask(description string) *core.Condition { return &core.Condition{Description: description} }

// outcome is what a simulated plugin does with one block: complete with
// outputs, fail with a reason, or hang (stay open until cancelled).
type outcome struct {
	outputs map[string]any
	fail    string
	hang    bool
}

// behaviour decides a block's outcome from its alias and run.
type behaviour func(alias string, b *Block) outcome

// sim runs one flow execution through Flow.
type sim struct {
	t       testing.TB
	p       *Plan
	v       *View
	now     time.Time
	order   uint64
	behave  behaviour
	answer  func(a AskCondition) (bool, string) // description conditions: value, or an error text
	during  func(s *sim, step int)              // before each decision
	fifo    []*Block                            // open blocks in creation order
	peak    map[string]int                      // most open blocks per alias at once
	done    *Finish
	steps   int
	actions []Action // of the last decision
}

func newSim(t testing.TB, p *Plan, inputs map[string]any, behave behaviour) *sim {
	return &sim{
		t: t, p: p, v: NewView(p, tid("execution"), inputs), behave: behave,
		now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), peak: map[string]int{},
	}
}

func (s *sim) nextOrder() uint64 { s.order++; return s.order }

// run decides and applies until the flow finishes.
func (s *sim) run() *Finish {
	s.t.Helper()
	for s.steps = 0; s.done == nil; s.steps++ {
		if s.steps > 5000 {
			s.t.Fatalf("flow did not finish in %d steps; last actions %v", s.steps, describe(s.actions))
		}
		if s.during != nil {
			s.during(s, s.steps)
		}
		s.actions = Flow(context.Background(), s.p, s.v, s.now)
		s.checkFixpoint()
		wake := s.apply(s.actions)
		if s.done != nil {
			break
		}
		if !s.finishOne() && !wake.IsZero() {
			s.now = wake // nothing else moves: time passes
		}
	}
	return s.done
}

// checkFixpoint asserts that deciding again on an unchanged view gives the
// same actions: the decision depends on the view alone.
func (s *sim) checkFixpoint() {
	again := Flow(context.Background(), s.p, s.v, s.now)
	if fmt.Sprint(describe(again)) != fmt.Sprint(describe(s.actions)) {
		s.t.Fatalf("two decisions on one view differ:\n%v\n%v", describe(s.actions), describe(again))
	}
}

func describe(actions []Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		raw, _ := json.Marshal(a)
		out[i] = fmt.Sprintf("%T%s", a, raw)
	}
	return out
}

// apply records a decision's actions as the executor does: the flow's own
// log, then the blocks the host ends, then the new blocks.
func (s *sim) apply(actions []Action) (wake time.Time) {
	for _, a := range actions {
		switch a := a.(type) {
		case RecordStart:
			s.v.Started = true
		case RecordDecision:
			s.v.Decisions[a.Decision.RequestID] = a.Decision
		case RecordItems:
			s.v.Items[a.ID] = ItemsRecord{ForEachItems: a.Items, Order: s.nextOrder()}
		}
	}
	for _, a := range actions {
		if a, ok := a.(EndBlock); ok {
			b := s.block(a.Run, a.Inputs, a.TriggeredBy)
			b.State, b.Failure, b.Outputs, b.EndedAt = a.State, a.Failure, a.Outputs, s.now
		}
	}
	for _, a := range actions {
		switch a := a.(type) {
		case CreateBlock:
			b := s.block(a.Run, a.Inputs, a.TriggeredBy)
			b.State, b.Deadline = execution.StatePending, a.Deadline
			s.fifo = append(s.fifo, b)
			s.notePeak()
		case AskCondition:
			value, errText := s.answer(a)
			if errText != "" {
				s.v.AskFailed[a.RequestID] = errText
				continue
			}
			s.v.Decisions[a.RequestID] = execution.ConditionDecision{RequestID: a.RequestID, EdgeIndex: a.Edge, Value: value}
		case CancelBlock:
			s.end(a.Block, execution.StateCancelled, a.Reason, "")
		case TimeOut:
			s.end(a.Block, execution.StateFailed, a.Reason, CodeTimeout)
		case WakeAt:
			wake = a.Time
		case Finish:
			s.done = &a
		}
	}
	return wake
}

func (s *sim) block(r Run, inputs map[string]any, triggeredBy []uuid.UUID) *Block {
	node := s.p.Flow.Nodes[r.Node].ID
	b := &Block{
		ID: BlockExecutionID(s.v.ID, node, r.Iteration, r.Index, r.Attempt), Node: r.Node,
		Iteration: r.Iteration, Index: r.Index, Attempt: r.Attempt, Order: s.nextOrder(),
		Inputs: inputs, TriggeredBy: triggeredBy, CreatedAt: s.now,
	}
	for _, old := range s.v.Slots[r.Node] {
		if old.ID == b.ID {
			s.t.Fatalf("block execution %s (%s %+v) created twice", b.ID, s.p.Labels[r.Node], r)
		}
	}
	s.v.Add(b)
	return b
}

func (s *sim) end(b *Block, state execution.State, reason, code string) {
	if !b.Open() {
		return
	}
	b.State, b.EndedAt = state, s.now
	b.Failure = execution.Failure{Reason: reason, Code: code}
}

func (s *sim) notePeak() {
	open := map[string]int{}
	for _, b := range s.fifo {
		if b.Open() {
			open[s.p.Keys[b.Node]]++
		}
	}
	for k, n := range open {
		s.peak[k] = max(s.peak[k], n)
	}
}

// finishOne lets the plugin end the oldest open block that does not hang,
// and reports whether it did.
func (s *sim) finishOne() bool {
	for k, b := range s.fifo {
		if !b.Open() {
			continue
		}
		o := s.behave(s.p.Keys[b.Node], b)
		if o.hang {
			b.State = execution.StateInProgress
			continue
		}
		s.fifo = append(s.fifo[:k:k], s.fifo[k+1:]...)
		s.now = s.now.Add(time.Millisecond)
		if o.fail != "" {
			s.end(b, execution.StateFailed, o.fail, "exit_status")
			return true
		}
		b.State, b.Outputs, b.EndedAt = execution.StateCompleted, o.outputs, s.now
		if b.Outputs == nil {
			b.Outputs = map[string]any{}
		}
		return true
	}
	return false
}

// runsOf lists alias's block executions as "iteration.index.attempt=state".
func (s *sim) runsOf(alias string) []string {
	var out []string
	for _, b := range s.v.Slots[s.p.NodeIndex[tid(s.p.Flow.Name+"/"+alias)]] {
		name := fmt.Sprintf("%d", b.Iteration)
		if b.Index >= 0 {
			name += fmt.Sprintf("[%d]", b.Index)
		}
		if b.Attempt > 1 {
			name += fmt.Sprintf("#%d", b.Attempt)
		}
		out = append(out, name+"="+string(b.State))
	}
	return out
}
