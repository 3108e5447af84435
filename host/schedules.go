package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/schedule"
	"github.com/openoma/openoma/store"
)

// startScheduled is the scheduler's Starter: the tick's run, with the
// tick's id, and a progress event on it saying which schedule and tick
// started it. Both are idempotent, so a tick fired again after a crash
// changes nothing.
func (h *Host) startScheduled(ctx context.Context, flow string, inputs map[string]any, id uuid.UUID, o schedule.Origin) error {
	f, err := h.catalog.LookupFlow(flow)
	if err != nil {
		return err
	}
	if err := h.preflight(f, nil, inputs); err != nil {
		return err
	}
	if _, err := h.engine.StartFlow(ctx, flow, inputs, engine.WithExecutionID(id)); err != nil {
		return err
	}
	by := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "openoma-host scheduler"}
	ev, err := execution.NewEvent(id, execution.EventProgress, &by, map[string]any{
		"type": "scheduled", "schedule": o.Schedule, "tick": o.Tick.Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	ev.ID = uuid.NewSHA1(id, []byte("scheduled"))
	if _, err := h.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil && !errors.Is(err, store.ErrFinal) {
		return fmt.Errorf("recording the run's schedule: %w", err)
	}
	return nil
}

// Schedule implements control.Backend: create, list, show, pause, resume
// and delete schedules. A new schedule's flow and inputs are checked as a
// run would be, before anything is recorded.
func (h *Host) Schedule(ctx context.Context, req control.ScheduleRequest, by control.Caller) ([]schedule.Schedule, error) {
	st := schedule.NewStore(h.store)
	who := by.Executor()
	one := func(sc schedule.Schedule, err error) ([]schedule.Schedule, error) {
		if err != nil {
			return nil, scheduleErr(err)
		}
		return []schedule.Schedule{sc}, nil
	}
	switch req.Verb {
	case control.ScheduleList:
		list, err := st.List(ctx)
		return list, scheduleErr(err)
	case control.ScheduleShow:
		return one(st.Get(ctx, req.Spec.Name))
	case control.SchedulePause:
		return one(st.Pause(ctx, req.Spec.Name, who))
	case control.ScheduleResume:
		sc, err := st.Resume(ctx, req.Spec.Name, who)
		h.wakeScheduler()
		return one(sc, err)
	case control.ScheduleDelete:
		return nil, scheduleErr(st.Delete(ctx, req.Spec.Name, who))
	case control.ScheduleCreate:
		if err := h.mustRun("schedule create"); err != nil {
			return nil, err
		}
		if err := req.Spec.Check(); err != nil {
			return nil, fmt.Errorf("schedule: %w: %w", err, control.ErrInvalid)
		}
		f, err := h.catalog.LookupFlow(req.Spec.Flow)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w%s: %w", req.Spec.Name, err, h.suggestRunnable(req.Spec.Flow), control.ErrNotFound)
		}
		if err := h.preflight(f, nil, req.Spec.Inputs); err != nil {
			return nil, fmt.Errorf("schedule %q: %w: %w", req.Spec.Name, err, control.ErrInvalid)
		}
		req.Spec.Flow = fmt.Sprintf("%s@%d", f.Name, f.Version) // pinned: a new version is a new schedule
		sc, err := st.Create(ctx, req.Spec, who)
		h.wakeScheduler()
		return one(sc, err)
	}
	return nil, fmt.Errorf("schedule: unknown verb %q: %w", req.Verb, control.ErrInvalid)
}

func (h *Host) wakeScheduler() {
	if h.scheduler != nil {
		h.scheduler.Wake()
	}
}

func scheduleErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, schedule.ErrNotFound):
		return fmt.Errorf("%w: %w", err, control.ErrNotFound)
	case errors.Is(err, schedule.ErrExists):
		return fmt.Errorf("%w: %w", err, control.ErrInvalid)
	}
	return err
}
