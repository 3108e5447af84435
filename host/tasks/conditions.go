package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Metadata keys of a condition that say who decides and by when.
const (
	KeyAssignee        = "assignee"
	KeyCandidateGroups = "candidate_groups"
	KeyDue             = "due"
)

// RecordQuestions wraps the conditions plugin's adapter: when it answers a
// description-only condition with Pending (a person decides), the question
// is recorded on the flow execution's log as a DecisionRequest, which
// makes it a decision task. The event id derives from the request id, and
// the engine asks again with the same id after a restart, so a question is
// recorded once however often it is asked.
//
// Why the host records it and not the plugin: the store the host brokers
// to a plugin lets EvaluateCondition write only the decision itself to the
// flow execution's log.
func (s *Service) RecordQuestions(plugin string, a sdk.Adapter) sdk.Adapter {
	return &questionRecorder{Adapter: a, svc: s, plugin: plugin}
}

type questionRecorder struct {
	sdk.Adapter
	svc    *Service
	plugin string
}

func (r *questionRecorder) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
	res, err := r.Adapter.EvaluateCondition(ctx, req)
	if err != nil || !res.Pending {
		return res, err
	}
	if err := r.svc.recordQuestion(ctx, r.plugin, req); err != nil {
		return res, fmt.Errorf("recording the question %q for a person: %w", req.Condition.Description, err)
	}
	return res, nil
}

func (s *Service) recordQuestion(ctx context.Context, plugin string, req sdk.ConditionRequest) error {
	q := DecisionRequest{
		Type: ProgressDecisionRequest, RequestID: req.RequestID, EdgeIndex: req.EdgeIndex,
		SourceExecutionID: req.SourceExecutionID, Question: req.Condition.Description,
		Context: DecisionContext{FlowInputs: req.Context.FlowInputs, SourceOutputs: req.Context.SourceOutputs, Source: req.Context.Source},
		Plugin:  plugin,
	}
	md := req.Condition.Metadata
	if v, ok := md[KeyAssignee].(string); ok {
		q.Assignee = v
	}
	if v, ok := md[KeyCandidateGroups]; ok {
		groups, err := execution.ParseGroups(v)
		if err != nil {
			return fmt.Errorf("condition metadata %q: %w", KeyCandidateGroups, err)
		}
		q.CandidateGroups = groups
	}
	if v, ok := md[KeyDue]; ok {
		due, err := ParseDue(v, s.now())
		if err != nil {
			return fmt.Errorf("condition metadata %q: %w", KeyDue, err)
		}
		q.Due = due
	}
	x := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "plugin:" + plugin}
	ev, err := execution.NewEvent(req.FlowExecutionID, execution.EventProgress, &x, q)
	if err != nil {
		return err
	}
	ev.ID = decisionRequestEventID(req.FlowExecutionID, req.RequestID)
	if _, err := s.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil && !errors.Is(err, store.ErrFinal) {
		return err
	}
	return nil
}
