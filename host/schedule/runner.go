package schedule

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

func sortByName(list []Schedule) {
	slices.SortFunc(list, func(a, b Schedule) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
}

// Starter starts a run of a flow with the given id (idempotently: a run
// that exists is left as it is) and records which schedule and tick
// started it.
type Starter func(ctx context.Context, flow string, inputs map[string]any, id uuid.UUID, origin Origin) error

// Origin says which schedule and tick started a run.
type Origin struct {
	Schedule string    `json:"schedule"`
	Tick     time.Time `json:"tick"`
}

// Scheduler fires the ticks of every schedule in a store.
type Scheduler struct {
	store *Store
	start Starter
	now   func() time.Time
	log   hclog.Logger
	wake  chan struct{}
}

// NewScheduler fires the schedules of st through start.
func NewScheduler(st *Store, start Starter, log hclog.Logger) *Scheduler {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Scheduler{store: st, start: start, now: time.Now, log: log, wake: make(chan struct{}, 1)}
}

// Wake makes the scheduler look again now (after a create or resume).
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxSleep bounds a wait so a clock change is noticed within a minute.
const maxSleep = time.Minute

// Run fires due ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		next := s.Tick(ctx)
		wait := maxSleep
		if !next.IsZero() {
			wait = min(max(next.Sub(s.now()), 0), maxSleep)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Tick fires every tick due now and returns when the next one is.
func (s *Scheduler) Tick(ctx context.Context) time.Time {
	list, err := s.store.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("schedules: reading the schedules", "error", err)
		}
		return time.Time{}
	}
	var next time.Time
	now := s.now()
	for _, sc := range list {
		fire, n := Plan(sc.Spec, sc.State, now)
		for _, tick := range fire {
			if !s.fire(ctx, sc, tick) {
				// Not started (the flow's definition missing, the store
				// busy): this tick is tried again soon, and the ones after
				// it wait their turn.
				n = now.Add(retryFailedTick)
				break
			}
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// retryFailedTick is how soon a tick whose run could not start is tried
// again.
const retryFailedTick = 30 * time.Second

// fire starts a tick's run and records it; it reports whether the run
// started (and so the tick is done).
func (s *Scheduler) fire(ctx context.Context, sc Schedule, tick time.Time) bool {
	run := RunID(sc.ID, tick)
	err := s.start(ctx, sc.Spec.Flow, sc.Spec.Inputs, run, Origin{Schedule: sc.Spec.Name, Tick: tick.UTC()})
	if err != nil {
		if ctx.Err() != nil {
			return false // stopping: the tick is fired by the next start
		}
		s.log.Error("schedules: a tick's run could not start; trying again", "schedule", sc.Spec.Name, "tick", tick, "error", err)
	} else {
		s.log.Info("schedules: fired", "schedule", sc.Spec.Name, "tick", tick, "execution", run)
	}
	if rerr := s.store.recordFired(ctx, sc, tick, run, err); rerr != nil && ctx.Err() == nil {
		s.log.Error("schedules: recording a fired tick", "schedule", sc.Spec.Name, "tick", tick, "error", rerr)
		return false
	}
	return err == nil
}

// describe is a schedule's "when", for people.
func (sp Spec) describe() string {
	if sp.Every > 0 {
		if sp.Every%(24*time.Hour) == 0 {
			return fmt.Sprintf("every %dd", sp.Every/(24*time.Hour))
		}
		return "every " + sp.Every.String()
	}
	return "cron " + sp.Cron
}

// When is a schedule's "when", for people: "every 14d", "cron 0 9 * * MON".
func (sc Schedule) When() string { return sc.Spec.describe() }
