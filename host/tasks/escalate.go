package tasks

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Escalate hands every task that has been overdue for
// tasks.escalation.after to tasks.escalation.group, and returns how many it
// escalated. A block task gets an executor_assigned of the group (metadata
// escalated: true); a decision a decision_escalated progress event. Both
// have ids derived from the task, so a task escalates once, whichever
// process (or repeat) does it.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	group := s.cfg.Escalation.Group
	if group == "" {
		return 0, nil
	}
	open, err := s.List(ctx, Filter{})
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for _, t := range open {
		if t.Escalated || t.Due == nil || !now.After(t.Due.Add(s.cfg.Escalation.After)) {
			continue
		}
		if err := s.escalate(ctx, t, group); err != nil {
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrFinal) {
				continue // someone acted meanwhile; the next round looks again
			}
			return n, err
		}
		s.log.Info("overdue task escalated", "task", t.ID, "title", t.Title, "due", t.Due, "group", group)
		n++
	}
	return n, nil
}

func (s *Service) escalate(ctx context.Context, t Task, group string) error {
	x := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "openoma-host"}
	if t.Kind == KindDecision {
		ev, err := execution.NewEvent(t.FlowExecutionID, execution.EventProgress, &x,
			DecisionEscalation{Type: ProgressDecisionEscalated, RequestID: t.ID, Group: group})
		if err != nil {
			return err
		}
		ev.ID = uuid.NewSHA1(t.FlowExecutionID, []byte("tasks/escalated/"+t.ID.String()))
		_, err = s.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
		return err
	}
	holder := execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "group:" + group, Metadata: map[string]any{
		"kind": holderGroup, "groups": []any{group}, "escalated": true, "due": t.Due.Format(time.RFC3339),
	}}
	ev, err := execution.NewEvent(t.ID, execution.EventExecutorAssigned, &holder, nil)
	if err != nil {
		return err
	}
	ev.ID = uuid.NewSHA1(t.ID, []byte("tasks/escalated"))
	_, err = s.store.Append(ctx, []execution.Event{ev}, store.ExpectSequence(t.Sequence))
	return err
}

// Run escalates overdue tasks every tasks.check_interval until ctx is
// done. Without an escalation group it returns at once.
func (s *Service) Run(ctx context.Context) {
	if s.cfg.Escalation.Group == "" {
		return
	}
	interval := s.cfg.CheckInterval
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Escalate(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("escalating overdue tasks", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
