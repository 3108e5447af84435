package tasks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// pendingAdapter answers every condition Pending, as the manual plugin
// does for a description-only one.
type pendingAdapter struct {
	sdk.Adapter
	calls int
}

func (p *pendingAdapter) EvaluateCondition(context.Context, sdk.ConditionRequest) (sdk.ConditionResult, error) {
	p.calls++
	return sdk.ConditionResult{Pending: true}, nil
}

func (f *fixture) ask(a sdk.Adapter, req uuid.UUID, md core.Metadata) {
	f.t.Helper()
	res, err := a.EvaluateCondition(f.ctx, sdk.ConditionRequest{
		RequestID: req, FlowExecutionID: f.flow, EdgeIndex: 2, SourceExecutionID: uuid.New(),
		Condition: core.Condition{Description: "ticket is fast-track", Metadata: md},
		Context:   sdk.ConditionContext{FlowInputs: map[string]any{"ticket_id": "PROJ-142"}, SourceOutputs: map[string]any{"fast_track": true}},
	})
	if err != nil || !res.Pending {
		f.t.Fatalf("evaluate: %+v %v", res, err)
	}
}

func TestQuestionsBecomeDecisionTasks(t *testing.T) {
	f := newFixture(t)
	inner := &pendingAdapter{}
	a := f.svc.RecordQuestions("manual", inner)
	req := uuid.New()
	// Asked twice (a restart re-asks with the same request id): recorded once.
	f.ask(a, req, core.Metadata{"candidate_groups": []any{"reviewers"}, "due": "1h"})
	f.ask(a, req, core.Metadata{"candidate_groups": []any{"reviewers"}, "due": "1h"})
	if n := len(f.log(f.flow)); n != 2 {
		t.Fatalf("flow log has %d events, want created + one question", n)
	}
	list, err := f.svc.List(f.ctx, Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	q := list[0]
	if q.ID != req || q.Kind != KindDecision || q.Question != "ticket is fast-track" || q.Context.FlowInputs["ticket_id"] != "PROJ-142" ||
		q.CandidateGroups[0] != "reviewers" || q.Due == nil || !q.Due.Equal(f.now.Add(3600e9)) {
		t.Fatalf("decision task %+v", q)
	}

	// bob is not a reviewer.
	if _, err := f.svc.Decide(f.ctx, req.String()[:6], true, "", f.actor("bob", 1002, "")); !errors.Is(err, ErrDenied) {
		t.Fatalf("bob decides: %v", err)
	}
	// Completing with outputs is the same as deciding; text is coerced.
	if _, err := f.svc.Complete(f.ctx, req.String(), CompleteInput{Text: map[string]string{"answer": "perhaps"}}, f.actor("alice", 1001, "")); !errors.Is(err, ErrInvalidOutputs) ||
		!strings.Contains(err.Error(), `output "answer" = "perhaps" does not match its schema`) {
		t.Fatalf("bad answer: %v", err)
	}
	got, err := f.svc.Complete(f.ctx, req.String(), CompleteInput{Text: map[string]string{"answer": "true", "reason": "small and urgent"}}, f.actor("alice", 1001, ""))
	if err != nil || got.State != StateCompleted || got.Result["answer"] != true {
		t.Fatalf("decide: %+v %v", got, err)
	}
	events := f.log(f.flow)
	last := events[len(events)-1]
	var d execution.ConditionDecision
	if err := last.DecodePayload(&d); err != nil {
		t.Fatal(err)
	}
	if d.Type != execution.ProgressConditionDecision || d.RequestID != req || d.EdgeIndex != 2 || !d.Value || d.Reason != "small and urgent" ||
		d.DecidedBy.Identifier != "alice" || d.DecidedBy.Metadata["os_user"] != "alice" {
		t.Fatalf("decision %+v", d)
	}
	if last.ID != uuid.NewSHA1(f.flow, []byte("event/decision/"+req.String())) {
		t.Errorf("decision id %s is not the engine's id for the request", last.ID)
	}
	// A second person answering: refused, naming who decided.
	_, err = f.svc.Decide(f.ctx, req.String(), false, "", f.actor("carol", 1003, ""))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "completed by alice") {
		t.Fatalf("second decision: %v", err)
	}
	if n := len(f.log(f.flow)); n != 3 {
		t.Fatalf("flow log has %d events after a refused decision", n)
	}
	// Decide on a block task is a usage error.
	blockTask := f.task(unassigned(), nil)
	if _, err := f.svc.Decide(f.ctx, blockTask.String(), true, "", f.actor("alice", 1001, "")); err == nil || !strings.Contains(err.Error(), "not a decision") {
		t.Fatalf("decide on a block task: %v", err)
	}
}

func TestDecisionRaceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	a := f.svc.RecordQuestions("manual", &pendingAdapter{})
	req := uuid.New()
	f.ask(a, req, nil)
	task, _ := f.svc.Show(f.ctx, req.String())
	// Both read the open question, then both decide.
	first, err := f.svc.decide(f.ctx, task, true, "", f.actor("alice", 1001, ""))
	if err != nil || first.State != StateCompleted {
		t.Fatalf("first: %+v %v", first, err)
	}
	if _, err := f.svc.decide(f.ctx, task, false, "", f.actor("bob", 1002, "")); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "already decided (yes) by alice") {
		t.Fatalf("second: %v", err)
	}
}

func TestQuestionWithBadMetadataIsAnError(t *testing.T) {
	f := newFixture(t)
	a := f.svc.RecordQuestions("manual", &pendingAdapter{})
	_, err := a.EvaluateCondition(f.ctx, sdk.ConditionRequest{RequestID: uuid.New(), FlowExecutionID: f.flow,
		Condition: core.Condition{Description: "q", Metadata: core.Metadata{"due": "soon"}}})
	if err == nil || !strings.Contains(err.Error(), `condition metadata "due": "soon" is neither`) {
		t.Fatalf("err %v", err)
	}
}
