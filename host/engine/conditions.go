package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
	"github.com/openoma/openoma/sdk"
)

// condState is a description-only condition question put to the
// conditions plugin by this process.
type condState struct {
	flow uuid.UUID
	err  error // the plugin failed to answer: the edge's target fails
}

// collectAskFailures puts into the flow's view the questions the
// conditions plugin failed to answer in this process: their edges' targets
// fail with the error.
func (e *Engine) collectAskFailures(v *flowView) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, req := range v.asked {
		if st := e.conds[req]; st != nil && st.err != nil {
			v.decided.AskFailed[req] = st.err.Error()
		}
	}
}

// askCondition puts a description-only condition to the conditions plugin,
// once per process and request. The answer arrives as a condition-decision
// progress event on the flow's log: appended here when the plugin answers
// at once, or later by the plugin itself (a person deciding) when it
// answers Pending. Either way the flow is reconciled again when it lands.
// After a restart the question is asked again with the same request id.
func (e *Engine) askCondition(v *flowView, a decide.AskCondition) {
	e.mu.Lock()
	_, asked := e.conds[a.RequestID]
	st := &condState{flow: v.id}
	if !asked {
		e.conds[a.RequestID] = st
	}
	e.mu.Unlock()
	if asked {
		return
	}
	v.asked = append(v.asked, a.RequestID)
	edge := v.plan.flow.Edges[a.Edge]
	request := sdk.ConditionRequest{
		RequestID:         a.RequestID,
		FlowExecutionID:   v.id,
		Condition:         *edge.Condition,
		EdgeIndex:         a.Edge,
		SourceExecutionID: a.Source,
		Context: sdk.ConditionContext{
			FlowInputs:    v.created.Inputs,
			SourceOutputs: a.Outputs,
			Flow:          v.plan.FlowVars,
			Metadata:      edge.Condition.Metadata,
		},
		Store: e.store,
	}
	if a.SourceNode >= 0 {
		request.Context.Source = v.plan.Source[a.SourceNode]
	}
	ctx := e.runCtx
	e.async.Go(func() { e.evaluateCondition(ctx, st, a.Edge, a.Source, request) })
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
