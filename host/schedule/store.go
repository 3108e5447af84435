package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// KindSchedule is the execution kind schedules are stored as.
const KindSchedule execution.Kind = "schedule"

// namespace derives schedule ids from names, run ids from ticks.
var namespace = uuid.MustParse("5c1e0d2a-9f0e-4a55-9e2b-0a3f6f8d7c11")

// ID is the execution id of the gen-th schedule of a name (0 for the
// first; a name deleted and created again gets the next).
func ID(name string, gen int) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(fmt.Sprintf("schedule:%s:%d", name, gen)))
}

// RunID is the execution id of the run a tick starts: the same on every
// host and after every restart, so a tick never runs twice.
func RunID(schedule uuid.UUID, tick time.Time) uuid.UUID {
	return uuid.NewSHA1(schedule, []byte("tick:"+tick.UTC().Format(time.RFC3339Nano)))
}

// The progress types of a schedule's log.
const (
	progressFired      = "fired"
	progressFireFailed = "fire_failed" // a tick whose run could not start yet; it is tried again
	progressPaused     = "paused"
	progressResumed    = "resumed"
)

type created struct {
	Kind     execution.Kind `json:"kind"`
	Schedule Spec           `json:"schedule"`
}

type firedProgress struct {
	Type        string    `json:"type"`
	Tick        time.Time `json:"tick"`
	ExecutionID uuid.UUID `json:"execution_id"`
	Error       string    `json:"error,omitempty"`
}

type typeOnly struct {
	Type string `json:"type"`
}

// Schedule is a schedule as the log tells it.
type Schedule struct {
	ID    uuid.UUID `json:"id"`
	Spec  Spec      `json:"spec"`
	State State     `json:"state"`
	// Fired lists the ticks fired, oldest first, with the run each started.
	Fired []Fired `json:"fired,omitempty"`
	// Next is when the next tick is due (zero when deleted).
	Next time.Time `json:"next,omitzero"`
}

// Fired is one tick and the run it started.
type Fired struct {
	Tick        time.Time `json:"tick"`
	ExecutionID uuid.UUID `json:"execution_id"`
	Error       string    `json:"error,omitempty"`
}

// Errors of the schedule verbs.
var (
	ErrExists   = errors.New("a schedule of that name exists")
	ErrNotFound = errors.New("no such schedule")
)

// Store keeps schedules in an event store.
type Store struct{ s store.EventStore }

// NewStore keeps schedules in s.
func NewStore(s store.EventStore) *Store { return &Store{s: s} }

// Create records a new schedule.
func (st *Store) Create(ctx context.Context, spec Spec, by execution.ExecutorInfo) (Schedule, error) {
	if err := spec.Check(); err != nil {
		return Schedule{}, err
	}
	id, open, err := st.current(ctx, spec.Name)
	if err != nil {
		return Schedule{}, err
	}
	if open {
		return Schedule{}, fmt.Errorf("schedule %q: %w (delete it first, or choose another name)", spec.Name, ErrExists)
	}
	ev, err := execution.NewEvent(id, execution.EventCreated, &by, created{Kind: KindSchedule, Schedule: spec})
	if err != nil {
		return Schedule{}, err
	}
	ev.ID = uuid.NewSHA1(id, []byte("created"))
	// Expected sequence 0: of two creations racing, one wins.
	if _, err := st.s.Append(ctx, []execution.Event{ev}, store.AppendOptions{ExpectedSequence: ptr(uint64(0))}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Schedule{}, fmt.Errorf("schedule %q: %w", spec.Name, ErrExists)
		}
		return Schedule{}, fmt.Errorf("recording schedule %q: %w", spec.Name, err)
	}
	return st.Get(ctx, spec.Name)
}

func ptr[T any](v T) *T { return &v }

// Get reads the schedule of a name (the latest, when it was deleted).
func (st *Store) Get(ctx context.Context, name string) (Schedule, error) {
	id, open, err := st.current(ctx, name)
	if err != nil {
		return Schedule{}, err
	}
	if !open {
		if id == ID(name, 0) {
			return Schedule{}, fmt.Errorf("schedule %q: %w", name, ErrNotFound)
		}
		return Schedule{}, fmt.Errorf("schedule %q: %w (it was deleted)", name, ErrNotFound)
	}
	return st.read(ctx, id, name)
}

// current finds the schedule of a name that is not deleted (open), or
// else the id a new one of that name gets.
func (st *Store) current(ctx context.Context, name string) (uuid.UUID, bool, error) {
	for gen := 0; ; gen++ {
		id := ID(name, gen)
		info, err := st.s.Execution(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return id, false, nil
		}
		if err != nil {
			return uuid.Nil, false, err
		}
		if !info.Terminal {
			return id, true, nil
		}
	}
}

func (st *Store) read(ctx context.Context, id uuid.UUID, name string) (Schedule, error) {
	evs, err := st.s.Events(ctx, id, 0)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Schedule{}, fmt.Errorf("schedule %q: %w", name, ErrNotFound)
		}
		return Schedule{}, err
	}
	if len(evs) == 0 {
		return Schedule{}, fmt.Errorf("schedule %q: %w", name, ErrNotFound)
	}
	return fromLog(evs)
}

// fromLog folds a schedule's events.
func fromLog(evs []execution.Event) (Schedule, error) {
	var c created
	if err := json.Unmarshal(evs[0].Payload, &c); err != nil || c.Kind != KindSchedule {
		return Schedule{}, fmt.Errorf("execution %s is not a schedule", evs[0].ExecutionID)
	}
	sc := Schedule{ID: evs[0].ExecutionID, Spec: c.Schedule, State: State{Created: evs[0].Timestamp}}
	for _, ev := range evs[1:] {
		if ev.EventType.IsTerminal() {
			sc.State.Ended = true
			continue
		}
		if ev.EventType != execution.EventProgress {
			continue
		}
		var t typeOnly
		_ = json.Unmarshal(ev.Payload, &t)
		switch t.Type {
		case progressPaused:
			sc.State.Paused = true
		case progressResumed:
			sc.State.Paused, sc.State.ResumedAt = false, ev.Timestamp
		case progressFired:
			var f firedProgress
			if json.Unmarshal(ev.Payload, &f) == nil {
				sc.Fired = append(sc.Fired, Fired{Tick: f.Tick, ExecutionID: f.ExecutionID})
				if f.Tick.After(sc.State.LastTick) {
					sc.State.LastTick = f.Tick
				}
			}
		case progressFireFailed:
			// Shown, but the tick is not done: LastTick stays where it was.
			var f firedProgress
			if json.Unmarshal(ev.Payload, &f) == nil {
				sc.Fired = append(sc.Fired, Fired{Tick: f.Tick, ExecutionID: f.ExecutionID, Error: f.Error})
			}
		}
	}
	_, sc.Next = Plan(sc.Spec, sc.State, time.Now())
	return sc, nil
}

// List reads every schedule not deleted, by name.
func (st *Store) List(ctx context.Context) ([]Schedule, error) {
	infos, err := st.s.ListExecutions(ctx, store.Filter{Kind: KindSchedule, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	out := make([]Schedule, 0, len(infos))
	for _, info := range infos {
		sc, err := st.read(ctx, info.ID, info.ID.String())
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	sortByName(out)
	return out, nil
}

// Pause stops a schedule firing until Resume.
func (st *Store) Pause(ctx context.Context, name string, by execution.ExecutorInfo) (Schedule, error) {
	return st.mark(ctx, name, progressPaused, by)
}

// Resume lets a paused schedule fire again (ticks of the pause are not
// caught up).
func (st *Store) Resume(ctx context.Context, name string, by execution.ExecutorInfo) (Schedule, error) {
	return st.mark(ctx, name, progressResumed, by)
}

func (st *Store) mark(ctx context.Context, name, what string, by execution.ExecutorInfo) (Schedule, error) {
	sc, err := st.Get(ctx, name)
	if err != nil {
		return Schedule{}, err
	}
	if sc.State.Ended {
		return Schedule{}, fmt.Errorf("schedule %q: %w", name, ErrNotFound)
	}
	if sc.State.Paused == (what == progressPaused) {
		return sc, nil // already so
	}
	ev, err := execution.NewEvent(sc.ID, execution.EventProgress, &by, typeOnly{Type: what})
	if err != nil {
		return Schedule{}, err
	}
	if _, err := st.s.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", name, err)
	}
	return st.Get(ctx, name)
}

// Delete ends a schedule; its runs are left as they are.
func (st *Store) Delete(ctx context.Context, name string, by execution.ExecutorInfo) error {
	sc, err := st.Get(ctx, name)
	if err != nil {
		return err
	}
	if sc.State.Ended {
		return fmt.Errorf("schedule %q: %w", name, ErrNotFound)
	}
	ev, err := execution.NewEvent(sc.ID, execution.EventCancelled, &by, execution.Failure{Reason: "schedule deleted"})
	if err != nil {
		return err
	}
	_, err = st.s.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
	return err
}

// recordFired notes that tick started run (or failed to, with err); its id
// is derived from the tick, so recording twice is a no-op.
func (st *Store) recordFired(ctx context.Context, sc Schedule, tick time.Time, run uuid.UUID, startErr error) error {
	p := firedProgress{Type: progressFired, Tick: tick.UTC(), ExecutionID: run}
	kind := "fired:"
	if startErr != nil {
		p.Type, p.Error, kind = progressFireFailed, startErr.Error(), "failed:"
	}
	by := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "openoma-host scheduler"}
	ev, err := execution.NewEvent(sc.ID, execution.EventProgress, &by, p)
	if err != nil {
		return err
	}
	// One event per tick and outcome: recording again is a no-op, and a
	// tick that failed to start many times is noted once.
	ev.ID = uuid.NewSHA1(sc.ID, []byte(kind+tick.UTC().Format(time.RFC3339Nano)))
	_, err = st.s.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
	return err
}
