package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// child is what a contract reconcile knows of one of its child executions.
type child struct {
	id    uuid.UUID
	label string // e.g. `work flow "Deploy" v1 (work_flows[0])`
	state execution.State
	ended Ended // the terminal payload, once ended
}

func (c child) open() bool { return !c.state.IsTerminal() }

// contractLog is what a contract execution's own log says.
type contractLog struct {
	created execution.Created
	started bool
	ended   bool
	cancel  *CancelRequest
	records map[int]AssessmentRecord // by binding index
}

func readContractLog(events []execution.Event) (contractLog, error) {
	c := contractLog{records: map[int]AssessmentRecord{}}
	var err error
	if c.created, err = execution.CreatedOf(events); err != nil {
		return c, err
	}
	for i := range events {
		ev := &events[i]
		switch {
		case ev.EventType == execution.EventStarted:
			c.started = true
		case ev.EventType.IsTerminal():
			c.ended = true
		case ev.EventType == execution.EventProgress:
			var kind struct {
				Type string `json:"type"`
			}
			_ = ev.DecodePayload(&kind)
			switch kind.Type {
			case ProgressCancelRequested:
				var r CancelRequest
				if ev.DecodePayload(&r) == nil && c.cancel == nil {
					c.cancel = &r
				}
			case ProgressAssessmentResult:
				var r AssessmentRecord
				if ev.DecodePayload(&r) == nil {
					if _, seen := c.records[r.BindingIndex]; !seen {
						c.records[r.BindingIndex] = r
					}
				}
			}
		}
	}
	return c, nil
}

// reconcileContract is the idempotent step of a contract execution: start
// its work flows and sub-contracts; once the work side (§3.5) is completed,
// run each assessment binding; record the verdicts; end the contract with
// the work side's state. A failed or cancelled work side cancels what still
// runs, and the assessments do not run.
func (e *Engine) reconcileContract(ctx context.Context, id uuid.UUID) error {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil || len(events) == 0 {
		return err
	}
	cl, err := readContractLog(events)
	if err != nil || cl.ended {
		return err
	}
	k, ok := e.catalog.Contract(cl.created.ContractID, cl.created.ContractVersion)
	if !ok {
		return e.endExecution(ctx, id, execution.StateFailed, Ended{
			Reason: fmt.Sprintf("contract %s v%d is not in the catalog", cl.created.ContractID, cl.created.ContractVersion),
			Code:   CodeDefinitionMissing,
		})
	}
	if !cl.started {
		if _, err := e.appendEvents(ctx, e.hostEvent(id, "started", execution.EventStarted, nil)); err != nil {
			return ignoreFinal(err)
		}
	}
	work, subs, err := e.workSide(ctx, id, &cl, k)
	if err != nil {
		return err
	}
	workState := execution.DeriveContractState(states(work), states(subs))
	stopping := cl.cancel != nil || workState == execution.StateFailed || workState == execution.StateCancelled
	if stopping {
		return e.stopContract(ctx, id, &cl, k, workState, append(work, subs...))
	}
	if workState != execution.StateCompleted {
		return nil
	}
	finished := true
	for j := range k.AssessmentBindings {
		if _, ok := cl.records[j]; ok {
			continue
		}
		rec, done, err := e.assess(ctx, id, &cl, k, j, work)
		if err != nil {
			return err
		}
		if !done {
			finished = false
			continue
		}
		ev := e.hostEvent(id, fmt.Sprintf("assessment/%d", j), execution.EventProgress, rec)
		if _, err := e.appendEvents(ctx, ev); err != nil {
			return ignoreFinal(err)
		}
		cl.records[j] = rec
	}
	if !finished {
		return nil
	}
	return e.endExecution(ctx, id, execution.StateCompleted, Ended{Assessments: results(cl.records)})
}

// workSide makes sure every work flow and sub-contract execution exists and
// returns their states.
func (e *Engine) workSide(ctx context.Context, id uuid.UUID, cl *contractLog, k *core.Contract) (work, subs []child, err error) {
	for i, ref := range k.WorkFlows {
		c, err := e.ensureChild(ctx, workFlowExecutionID(id, i), e.flowLabel("work flow", ref.FlowID, ref.FlowVersion, fmt.Sprintf("work_flows[%d]", i)),
			execution.Created{
				Kind: execution.KindFlow, FlowID: ref.FlowID, FlowVersion: ref.FlowVersion,
				Inputs: cl.created.Inputs, Role: execution.RoleWork, ParentExecutionID: id,
			})
		if err != nil {
			return nil, nil, err
		}
		work = append(work, c)
	}
	for i, ref := range k.SubContracts {
		label := fmt.Sprintf("sub-contract %s v%d (sub_contracts[%d])", ref.ContractID, ref.ContractVersion, i)
		if sk, ok := e.catalog.Contract(ref.ContractID, ref.ContractVersion); ok {
			label = fmt.Sprintf("sub-contract %q v%d (sub_contracts[%d])", sk.Name, sk.Version, i)
		}
		c, err := e.ensureChild(ctx, subContractExecutionID(id, i), label, execution.Created{
			Kind: execution.KindContract, ContractID: ref.ContractID, ContractVersion: ref.ContractVersion,
			Inputs: cl.created.Inputs, ParentExecutionID: id,
		})
		if err != nil {
			return nil, nil, err
		}
		subs = append(subs, c)
	}
	return work, subs, nil
}

func (e *Engine) flowLabel(what string, id uuid.UUID, version int, path string) string {
	if f, ok := e.catalog.Flow(id, version); ok {
		return fmt.Sprintf("%s %q v%d (%s)", what, f.Name, f.Version, path)
	}
	return fmt.Sprintf("%s %s v%d (%s)", what, id, version, path)
}

// ensureChild creates a child execution unless it exists, and returns its
// state read from its log: the state its terminal event records (which the
// engine wrote from the derivation when it ended), else in_progress once
// started, else pending.
func (e *Engine) ensureChild(ctx context.Context, cid uuid.UUID, label string, created execution.Created) (child, error) {
	c := child{id: cid, label: label, state: execution.StatePending}
	events, err := e.store.Events(ctx, cid, 0)
	if err != nil {
		return c, fmt.Errorf("reading %s: %w", label, err)
	}
	if len(events) == 0 {
		e.remember(cid, execMeta{kind: created.Kind, parent: created.ParentExecutionID})
		if _, err := e.appendEvents(ctx, e.hostEvent(cid, "created", execution.EventCreated, created)); err != nil {
			return c, fmt.Errorf("creating %s: %w", label, err)
		}
		e.queue.Add(cid)
		return c, nil
	}
	for i := range events {
		switch t := events[i].EventType; {
		case t == execution.EventStarted && c.state == execution.StatePending:
			c.state = execution.StateInProgress
		case t.IsTerminal():
			c.state = execution.StateOf(t)
			_ = events[i].DecodePayload(&c.ended)
			return c, nil
		}
	}
	return c, nil
}

func states(cs []child) []execution.State {
	out := make([]execution.State, len(cs))
	for i, c := range cs {
		out[i] = c.state
	}
	return out
}

// stopContract cancels every open child and, once none is left open, ends
// the contract: cancelled when asked to, else with the work side's state.
func (e *Engine) stopContract(ctx context.Context, id uuid.UUID, cl *contractLog, k *core.Contract, workState execution.State, work []child) error {
	reason, code := "", ""
	if cl.cancel != nil && workState != execution.StateFailed {
		reason, code, workState = cl.cancel.Reason, ProgressCancelRequested, execution.StateCancelled
	} else {
		for _, c := range work {
			if c.state == workState {
				reason = fmt.Sprintf("%s %s: %s", c.label, c.state, c.ended.Reason)
				break
			}
		}
		code = map[execution.State]string{execution.StateFailed: "work_failed", execution.StateCancelled: "work_cancelled"}[workState]
	}
	all := slices.Clone(work)
	for j, b := range k.AssessmentBindings {
		for t := range b.TestFlowRefs {
			all = append(all, e.existingChild(ctx, testFlowExecutionID(id, j, t)))
		}
		all = append(all, e.existingChild(ctx, assessmentFlowExecutionID(id, j)))
	}
	open := false
	for _, c := range all {
		if c.id == uuid.Nil || !c.open() {
			continue
		}
		open = true
		if err := e.requestCancel(ctx, c.id, "contract is stopping: "+reason); err != nil {
			return err
		}
	}
	if open {
		return nil
	}
	return e.endExecution(ctx, id, workState, Ended{Reason: reason, Code: code, Assessments: results(cl.records)})
}

// existingChild returns the child's state, or a zero child when it was
// never created.
func (e *Engine) existingChild(ctx context.Context, cid uuid.UUID) child {
	info, err := e.store.Execution(ctx, cid)
	if err != nil {
		return child{}
	}
	c := child{id: cid, state: execution.StateInProgress}
	if info.Terminal {
		c.state = execution.StateCompleted // any terminal state will do: it is not open
	}
	return c
}

// assess runs one assessment binding as far as it can: its test flows,
// then its assessment flow with their outputs. done reports that the
// binding has its record.
func (e *Engine) assess(ctx context.Context, id uuid.UUID, cl *contractLog, k *core.Contract, j int, work []child) (AssessmentRecord, bool, error) {
	b := k.AssessmentBindings[j]
	rec := AssessmentRecord{
		Type:             ProgressAssessmentResult,
		AssessmentResult: execution.AssessmentResult{RequiredOutcomeID: b.RequiredOutcomeID},
		BindingIndex:     j,
	}
	// The test flows probe the work: they see the contract's run inputs
	// overlaid by the work flows' terminal outputs.
	withWork := overlay(cl.created.Inputs, work)
	var tests []child
	waiting := false
	for t, ref := range b.TestFlowRefs {
		tid := testFlowExecutionID(id, j, t)
		c, err := e.ensureChild(ctx, tid, e.flowLabel("test flow", ref.FlowID, ref.FlowVersion, fmt.Sprintf("assessment_bindings[%d].test_flow_refs[%d]", j, t)),
			execution.Created{
				Kind: execution.KindFlow, FlowID: ref.FlowID, FlowVersion: ref.FlowVersion, Inputs: withWork,
				Role: execution.RoleTest, RequiredOutcomeID: b.RequiredOutcomeID, ParentExecutionID: id,
			})
		if err != nil {
			return rec, false, err
		}
		tests = append(tests, c)
		rec.TestFlowExecutionIDs = append(rec.TestFlowExecutionIDs, tid)
		waiting = waiting || c.open()
	}
	if waiting {
		return rec, false, nil
	}
	for _, c := range tests {
		if c.state != execution.StateCompleted {
			rec.State = execution.StateSkipped
			rec.Reason = fmt.Sprintf("the assessment flow did not run: %s %s: %s", c.label, c.state, c.ended.Reason)
			return rec, true, nil
		}
	}
	// The assessment flow sees, later sources overriding earlier ones on
	// the same name: the run inputs, the work flows' terminal outputs, then
	// the test flows' terminal outputs.
	inputs := overlay(withWork, tests)
	aid := assessmentFlowExecutionID(id, j)
	a, err := e.ensureChild(ctx, aid, e.flowLabel("assessment flow", b.AssessmentFlowID, b.AssessmentFlowVersion, fmt.Sprintf("assessment_bindings[%d]", j)),
		execution.Created{
			Kind: execution.KindFlow, FlowID: b.AssessmentFlowID, FlowVersion: b.AssessmentFlowVersion, Inputs: inputs,
			Role: execution.RoleAssessment, RequiredOutcomeID: b.RequiredOutcomeID, ParentExecutionID: id,
		})
	if err != nil || a.open() {
		return rec, false, err
	}
	rec.AssessmentFlowExecutionID = aid
	rec.State = a.state
	switch {
	case a.state != execution.StateCompleted:
		rec.Reason = fmt.Sprintf("%s %s: %s", a.label, a.state, a.ended.Reason)
	case len(a.ended.Outputs) == 0:
		rec.Reason = fmt.Sprintf("%s completed without output: its terminal node was skipped", a.label)
	default:
		// The single terminal node's outputs are the verdict (§2.4.2).
		for _, out := range a.ended.Outputs {
			rec.Result = out
		}
	}
	return rec, true, nil
}

// overlay returns base with the terminal outputs of the children's flows
// laid over it by port name, in order (within a flow, terminal nodes in
// alias order).
func overlay(base map[string]any, children []child) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for _, c := range children {
		for _, key := range slices.Sorted(maps.Keys(c.ended.Outputs)) {
			maps.Copy(out, c.ended.Outputs[key])
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

// requestCancel records a cancel request on a flow or contract execution;
// the execution's own reconcile then does the cancelling.
func (e *Engine) requestCancel(ctx context.Context, id uuid.UUID, reason string) error {
	ev := e.hostEvent(id, "cancel", execution.EventProgress, CancelRequest{Type: ProgressCancelRequested, Reason: reason})
	_, err := e.appendEvents(ctx, ev)
	return ignoreFinal(err)
}

// endExecution appends the terminal event of a flow or contract execution.
func (e *Engine) endExecution(ctx context.Context, id uuid.UUID, state execution.State, payload Ended) error {
	t := map[execution.State]execution.EventType{
		execution.StateCompleted: execution.EventCompleted,
		execution.StateFailed:    execution.EventFailed,
		execution.StateCancelled: execution.EventCancelled,
	}[state]
	if t == "" {
		return fmt.Errorf("execution %s: state %q cannot end it", id, state)
	}
	_, err := e.appendEvents(ctx, e.hostEvent(id, "terminal", t, payload))
	return ignoreFinal(err)
}

func ignoreFinal(err error) error {
	if isFinal(err) {
		return nil
	}
	return err
}
