package decide

import (
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// ContractView is what a contract execution's log and its children's logs
// say: the contract's own log (start, cancel request, recorded assessment
// results) and the state of every child execution that exists.
type ContractView struct {
	ID      uuid.UUID
	Inputs  map[string]any
	Started bool
	Cancel  *CancelRequest
	Records map[int]AssessmentRecord // by binding index
	// Children are the child executions that exist, by id: the ids are
	// this package's (WorkFlowExecutionID, …), so which child is which
	// follows from the id alone.
	Children map[uuid.UUID]Child
	// Claimed maps a work flow's or sub-contract's id (the one this
	// package derives) to the existing execution the contract claimed for
	// it (§5.5): its entry in Children is that execution's state, and no
	// child is created for it.
	Claimed map[uuid.UUID]uuid.UUID
	// RerunOf maps a work flow's or sub-contract's id to the execution of
	// the contract execution this one reruns that did not complete: the
	// child is created as a rerun of it (execution.Created.RerunOf).
	RerunOf map[uuid.UUID]uuid.UUID
}

// Child is a child flow or contract execution of a contract execution.
type Child struct {
	State execution.State
	Ended Ended // the terminal payload, once ended
}

// CreateChild creates a child flow or sub-contract execution.
type CreateChild struct {
	ID      uuid.UUID
	Label   string
	Created execution.Created
}

// CancelChild asks a child execution to cancel.
type CancelChild struct {
	ID     uuid.UUID
	Reason string
}

// RecordAssessment appends an assessment binding's result.
type RecordAssessment struct{ Record AssessmentRecord }

func (CreateChild) action()      {}
func (CancelChild) action()      {}
func (RecordAssessment) action() {}

// child is one child as a contract decision reasons about it.
type child struct {
	id    uuid.UUID
	label string
	Child
}

func (c child) open() bool { return !c.State.IsTerminal() }

// Contract decides what must happen next in a contract execution of k:
// start its work flows and sub-contracts; once the work side (§3.5) is
// completed, run each assessment binding (its test flows, then its
// assessment flow) and record its result; end with the work side's state.
// A failed or cancelled work side, or a cancel request, cancels what still
// runs, and the assessments do not run. Like Flow, it is pure.
func Contract(cat *core.Catalog, k *core.Contract, v *ContractView) []Action {
	c := &contractPass{cat: cat, k: k, v: v}
	if !v.Started {
		c.actions = append(c.actions, RecordStart{})
	}
	work, subs := c.workSide()
	workState := execution.DeriveContractState(states(work), states(subs))
	if v.Cancel != nil || workState == execution.StateFailed || workState == execution.StateCancelled {
		c.stop(workState, append(work, subs...))
		return c.actions
	}
	if workState != execution.StateCompleted {
		return c.actions
	}
	records := maps.Clone(v.Records)
	if records == nil {
		records = map[int]AssessmentRecord{}
	}
	finished := true
	for j := range k.AssessmentBindings {
		if _, ok := records[j]; ok {
			continue
		}
		rec, done := c.assess(j, work)
		if !done {
			finished = false
			continue
		}
		c.actions = append(c.actions, RecordAssessment{Record: rec})
		records[j] = rec
	}
	if finished {
		c.actions = append(c.actions, Finish{State: execution.StateCompleted, Payload: Ended{Assessments: results(records)}})
	}
	return c.actions
}

type contractPass struct {
	cat     *core.Catalog
	k       *core.Contract
	v       *ContractView
	actions []Action
}

// ensure returns a child, asking for it to be created when it does not
// exist yet (it is then pending).
func (c *contractPass) ensure(id uuid.UUID, label string, created execution.Created) child {
	ch, ok := c.v.Children[id]
	if !ok {
		created.ParentExecutionID = c.v.ID
		created.RerunOf = c.v.RerunOf[id]
		c.actions = append(c.actions, CreateChild{ID: id, Label: label, Created: created})
		ch = Child{State: execution.StatePending}
	}
	return child{id: id, label: label, Child: ch}
}

func (c *contractPass) workSide() (work, subs []child) {
	for i, ref := range c.k.WorkFlows {
		work = append(work, c.ensure(WorkFlowExecutionID(c.v.ID, i),
			c.flowLabel("work flow", ref.FlowID, ref.FlowVersion, fmt.Sprintf("work_flows[%d]", i)),
			execution.Created{Kind: execution.KindFlow, FlowID: ref.FlowID, FlowVersion: ref.FlowVersion, Inputs: c.v.Inputs, Role: execution.RoleWork}))
	}
	for i, ref := range c.k.SubContracts {
		label := fmt.Sprintf("sub-contract %s v%d (sub_contracts[%d])", ref.ContractID, ref.ContractVersion, i)
		if sk, ok := c.cat.Contract(ref.ContractID, ref.ContractVersion); ok {
			label = fmt.Sprintf("sub-contract %q v%d (sub_contracts[%d])", sk.Name, sk.Version, i)
		}
		subs = append(subs, c.ensure(SubContractExecutionID(c.v.ID, i), label, execution.Created{
			Kind: execution.KindContract, ContractID: ref.ContractID, ContractVersion: ref.ContractVersion, Inputs: c.v.Inputs,
		}))
	}
	return work, subs
}

func (c *contractPass) flowLabel(what string, id uuid.UUID, version int, path string) string {
	if f, ok := c.cat.Flow(id, version); ok {
		return fmt.Sprintf("%s %q v%d (%s)", what, f.Name, f.Version, path)
	}
	return fmt.Sprintf("%s %s v%d (%s)", what, id, version, path)
}

func states(cs []child) []execution.State {
	out := make([]execution.State, len(cs))
	for i, c := range cs {
		out[i] = c.State
	}
	return out
}

// stop cancels every open child and, once none is left open, ends the
// contract: cancelled when asked to, else with the work side's state.
func (c *contractPass) stop(workState execution.State, work []child) {
	// Said once (see pass.stopReason): the contract refers to the child
	// that stopped it; what it cancels refers to the contract.
	reason, code, why := "", "", "contract is being cancelled"
	if c.v.Cancel != nil && workState != execution.StateFailed {
		reason, code, workState = c.v.Cancel.Reason, ProgressCancelRequested, execution.StateCancelled
	} else {
		for _, ch := range work {
			if ch.State == workState {
				reason = childRef(ch)
				why = fmt.Sprintf("contract is stopping: %s %s", ch.label, ch.State)
				break
			}
		}
		code = map[execution.State]string{execution.StateFailed: "work_failed", execution.StateCancelled: "work_cancelled"}[workState]
	}
	all := slices.Clone(work)
	for j, b := range c.k.AssessmentBindings {
		ids := []uuid.UUID{AssessmentFlowExecutionID(c.v.ID, j)}
		for t := range b.TestFlowRefs {
			ids = append(ids, TestFlowExecutionID(c.v.ID, j, t))
		}
		for _, id := range ids {
			if ch, ok := c.v.Children[id]; ok {
				all = append(all, child{id: id, Child: ch})
			}
		}
	}
	// A child this pass asked to create is dropped: nothing new starts.
	c.actions = slices.DeleteFunc(c.actions, func(a Action) bool { _, ok := a.(CreateChild); return ok })
	open := false
	for _, ch := range all {
		if _, exists := c.v.Children[ch.id]; !exists || !ch.open() {
			continue
		}
		open = true
		c.actions = append(c.actions, CancelChild{ID: ch.id, Reason: why})
	}
	if !open {
		c.actions = append(c.actions, Finish{State: workState, Payload: Ended{Reason: reason, Code: code, Assessments: results(c.v.Records)}})
	}
}

// assess runs one assessment binding as far as it can: its test flows,
// then its assessment flow with their outputs. done reports that the
// binding has its record.
func (c *contractPass) assess(j int, work []child) (AssessmentRecord, bool) {
	b := c.k.AssessmentBindings[j]
	rec := AssessmentRecord{
		Type:             ProgressAssessmentResult,
		AssessmentResult: execution.AssessmentResult{RequiredOutcomeID: b.RequiredOutcomeID},
		BindingIndex:     j,
	}
	// The test flows probe the work: they see the contract's run inputs
	// overlaid by the work flows' terminal outputs.
	withWork := overlay(c.v.Inputs, work)
	var tests []child
	waiting := false
	for t, ref := range b.TestFlowRefs {
		tid := TestFlowExecutionID(c.v.ID, j, t)
		ch := c.ensure(tid, c.flowLabel("test flow", ref.FlowID, ref.FlowVersion, fmt.Sprintf("assessment_bindings[%d].test_flow_refs[%d]", j, t)),
			execution.Created{
				Kind: execution.KindFlow, FlowID: ref.FlowID, FlowVersion: ref.FlowVersion, Inputs: withWork,
				Role: execution.RoleTest, RequiredOutcomeID: b.RequiredOutcomeID,
			})
		tests = append(tests, ch)
		rec.TestFlowExecutionIDs = append(rec.TestFlowExecutionIDs, tid)
		waiting = waiting || ch.open()
	}
	if waiting {
		return rec, false
	}
	for _, ch := range tests {
		if ch.State != execution.StateCompleted {
			rec.State = execution.StateSkipped
			rec.Reason = "the assessment flow did not run: " + childRef(ch)
			return rec, true
		}
	}
	// The assessment flow sees, later sources overriding earlier ones on
	// the same name: the run inputs, the work flows' terminal outputs, then
	// the test flows' terminal outputs.
	aid := AssessmentFlowExecutionID(c.v.ID, j)
	a := c.ensure(aid, c.flowLabel("assessment flow", b.AssessmentFlowID, b.AssessmentFlowVersion, fmt.Sprintf("assessment_bindings[%d]", j)),
		execution.Created{
			Kind: execution.KindFlow, FlowID: b.AssessmentFlowID, FlowVersion: b.AssessmentFlowVersion, Inputs: overlay(withWork, tests),
			Role: execution.RoleAssessment, RequiredOutcomeID: b.RequiredOutcomeID,
		})
	if a.open() {
		return rec, false
	}
	rec.AssessmentFlowExecutionID = aid
	rec.State = a.State
	switch {
	case a.State != execution.StateCompleted:
		rec.Reason = childRef(a)
	case len(a.Ended.Outputs) == 0:
		rec.Reason = fmt.Sprintf("%s completed without output: its terminal node was skipped", a.label)
	default:
		// The single terminal node's outputs are the verdict (§2.4.2).
		for _, out := range a.Ended.Outputs {
			rec.Result = out
		}
	}
	return rec, true
}

// overlay returns base with the terminal outputs of the children's flows
// laid over it by port name, in order (within a flow, terminal nodes in
// alias order).
func overlay(base map[string]any, children []child) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for _, ch := range children {
		for _, key := range slices.Sorted(maps.Keys(ch.Ended.Outputs)) {
			maps.Copy(out, ch.Ended.Outputs[key])
		}
	}
	return out
}

func results(records map[int]AssessmentRecord) []execution.AssessmentResult {
	var out []execution.AssessmentResult
	for _, j := range slices.Sorted(maps.Keys(records)) {
		out = append(out, records[j].AssessmentResult)
	}
	return out
}

// childRef refers, in one line, to how a child execution ended: its label,
// its state, and where it stopped when the child said so — "work flow
// "Docs" v1 (work_flows[1]) failed at node "write"" — never the child's
// whole reason, which stays on the child (or on its block) to be said
// once. A flow stopped by one of its nodes ends with "failed at node …" /
// "cancelled at node …" (pass.stopReason), which is that "where"; a flow
// that stopped for a reason of its own (stuck, a missing definition) is
// referred to by its code.
func childRef(ch child) string {
	ref := fmt.Sprintf("%s %s", ch.label, ch.State)
	switch ch.Ended.Code {
	case "block_failed", "block_cancelled":
		return ch.label + " " + ch.Ended.Reason
	case "", ProgressCancelRequested, "work_failed", "work_cancelled":
		return ref
	}
	return fmt.Sprintf("%s (%s)", ref, ch.Ended.Code)
}
