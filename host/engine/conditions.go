package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// condState is a description-only condition question put to the
// conditions plugin by this process.
type condState struct {
	flow uuid.UUID
	err  error // the plugin failed to answer: the edge's target fails
}

// celVars is what a CEL predicate on an edge from srcNode (-1: entry edge)
// sees.
func (e *Engine) celVars(v *flowView, srcNode int, outputs map[string]any) condition.Vars {
	vars := condition.Vars{Inputs: v.created.Inputs, Outputs: outputs, Flow: v.plan.flowVars}
	if srcNode >= 0 {
		vars.Source = v.plan.source[srcNode]
	}
	return vars
}

// askCondition puts a description-only condition to the conditions plugin,
// once per process and request. The answer arrives as a condition-decision
// progress event on the flow's log: appended here when the plugin answers
// at once, or later by the plugin itself (a person deciding) when it
// answers Pending. Either way the flow is reconciled again when it lands.
// After a restart the question is asked again with the same request id.
func (e *Engine) askCondition(v *flowView, ei int, req, src uuid.UUID, srcNode int, outputs map[string]any) (edgeDecision, error) {
	e.mu.Lock()
	st := e.conds[req]
	first := st == nil
	if first {
		st = &condState{flow: v.id}
		e.conds[req] = st
	}
	err := st.err
	e.mu.Unlock()
	if err != nil {
		return edgeUndecided, err
	}
	if !first {
		return edgeUndecided, nil
	}
	v.asked = append(v.asked, req)
	edge := v.plan.flow.Edges[ei]
	request := sdk.ConditionRequest{
		RequestID:         req,
		FlowExecutionID:   v.id,
		Condition:         *edge.Condition,
		EdgeIndex:         ei,
		SourceExecutionID: src,
		Context: sdk.ConditionContext{
			FlowInputs:    v.created.Inputs,
			SourceOutputs: outputs,
			Flow:          v.plan.flowVars,
			Metadata:      edge.Condition.Metadata,
		},
		Store: e.store,
	}
	if srcNode >= 0 {
		request.Context.Source = v.plan.source[srcNode]
	}
	ctx := e.runCtx
	e.async.Go(func() { e.evaluateCondition(ctx, st, ei, src, request) })
	return edgeUndecided, nil
}

func (e *Engine) evaluateCondition(ctx context.Context, st *condState, ei int, src uuid.UUID, req sdk.ConditionRequest) {
	name, adapter, err := e.adapters.ForConditions(ctx)
	var res sdk.ConditionResult
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, e.callTimeout)
		res, err = adapter.EvaluateCondition(cctx, req)
		cancel()
		if err != nil {
			err = fmt.Errorf("plugin %q: EvaluateCondition: %w", name, err)
		}
	}
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, sdk.ErrUnavailable) {
		// The conditions plugin died under the call: not a failed
		// condition. Forget the question so a later reconcile asks the
		// restarted plugin again (with the same request id).
		e.log.Warn("conditions plugin unavailable; asking again later", "flow_execution", st.flow, "error", err)
		e.forgetQuestion(req.RequestID, st.flow)
		return
	}
	if err != nil {
		e.mu.Lock()
		st.err = err
		e.mu.Unlock()
		e.queue.Add(st.flow)
		return
	}
	if res.Pending {
		return
	}
	d := execution.ConditionDecision{
		Type: execution.ProgressConditionDecision, RequestID: req.RequestID, EdgeIndex: ei,
		SourceExecutionID: src, Value: res.Value, Reason: res.Reason,
		DecidedBy: &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "plugin:" + name},
	}
	ev := e.hostEvent(st.flow, "decision/"+req.RequestID.String(), execution.EventProgress, d)
	if _, err := e.appendEvents(ctx, ev); err != nil && !isFinal(err) && ctx.Err() == nil {
		// Ask again on a later reconcile rather than wait forever.
		e.log.Error("recording a condition decision", "flow_execution", st.flow, "error", err)
		e.forgetQuestion(req.RequestID, st.flow)
	}
}

// forgetQuestion drops what this process knows of a condition question, so
// the flow's next reconcile (in a second) asks it again.
func (e *Engine) forgetQuestion(request, flow uuid.UUID) {
	e.mu.Lock()
	delete(e.conds, request)
	e.mu.Unlock()
	e.after(time.Second, flow)
}

// forgetPendingQuestions drops every question still unanswered in this
// process — after the conditions plugin restarted, the dead process's
// pending questions are lost with it — and re-queues their flows.
func (e *Engine) forgetPendingQuestions() {
	e.mu.Lock()
	var flows []uuid.UUID
	for id, st := range e.conds {
		if st.err == nil {
			delete(e.conds, id)
			flows = append(flows, st.flow)
		}
	}
	e.mu.Unlock()
	for _, f := range flows {
		e.queue.Add(f)
	}
}
