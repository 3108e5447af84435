package manual

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Name and Version identify the plugin.
const (
	Name    = "manual"
	Version = "1.0.0"
)

// system is the executor of the events the plugin records for itself
// (started, the task description, a cancellation).
var system = sdk.System("plugin:" + Name)

// Options adjust New. The zero value is the production setup.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Adapter turns blocks into tasks for people. Create it with New. It
// uses sdk.BlockAdapter for what a task shares with any block (Describe,
// CancelBlock, Shutdown); its execute and resume are its own, since its
// work is done by a person and recorded by the host's task service.
type Adapter struct {
	*sdk.BlockAdapter
	now   func() time.Time
	ports sdk.Ports
}

var _ sdk.Adapter = (*Adapter)(nil)

// New returns a manual adapter.
func New(opts Options) *Adapter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Adapter{now: opts.Now, BlockAdapter: &sdk.BlockAdapter{
		// The plugin serves any hint (the config decides which blocks are
		// people's work) and judges conditions.
		Info:     sdk.Info{Name: Name, Version: Version, Hints: []string{"*"}, Conditions: true},
		Executor: system,
	}}
}

// ExecuteBlock implements sdk.Adapter: it records the task and returns.
func (a *Adapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	if err := a.ensureTask(ctx, req.Store, req.ExecutionID, req.Block, req.Node); err != nil {
		return uuid.Nil, err
	}
	return req.ExecutionID, nil
}

// ResumeBlock implements sdk.Adapter: a pending task is still pending, so
// there is nothing to do, unless a crash came before the task was recorded
// or a plugin restart released its assignment.
func (a *Adapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	return a.ensureTask(ctx, req.Store, req.ExecutionID, req.Block, req.Node)
}

// CancelBlock implements sdk.Adapter (sdk.BlockAdapter's): it records
// cancelled; nothing when the task already ended — a person who completed
// it meanwhile wins.

// EvaluateCondition implements sdk.Adapter: a structured predicate is
// evaluated; a description-only condition is left to a person (Pending).
func (a *Adapter) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
	if len(req.Condition.Predicate) > 0 {
		v, err := sdk.EvaluatePredicate(ctx, req.Condition, req.Context)
		if err != nil {
			return sdk.ConditionResult{}, err
		}
		return sdk.ConditionResult{Value: v, Reason: "predicate"}, nil
	}
	if strings.TrimSpace(req.Condition.Description) == "" {
		return sdk.ConditionResult{}, fmt.Errorf("condition %s: %w: neither predicate nor description", req.RequestID, sdk.ErrMalformedRequest)
	}
	return sdk.ConditionResult{Pending: true, Reason: "waiting for a person to decide: " + req.Condition.Description}, nil
}

// eventID derives the id of the plugin's event of execution exec for
// purpose, so that recording the task twice (a retried call, a resume
// after a crash) stores it once.
func eventID(exec uuid.UUID, purpose string) uuid.UUID {
	return uuid.NewSHA1(exec, []byte("manual/"+purpose))
}

// maxAttempts bounds the retries of an append that lost a race with
// another writer of the same log.
const maxAttempts = 5

// ensureTask makes the log hold the task: assigned, started and the task
// description, each once; and an assignment a plugin restart released
// re-recorded.
func (a *Adapter) ensureTask(ctx context.Context, s store.EventStore, id uuid.UUID, block core.WorkBlock, node core.NodeReference) error {
	if s == nil {
		return fmt.Errorf("execution %s: %w: the host sent no store", id, sdk.ErrMalformedRequest)
	}
	for attempt := 1; ; attempt++ {
		events, err := s.Events(ctx, id, 0)
		if err != nil {
			return fmt.Errorf("read execution %s: %w", id, err)
		}
		if len(events) == 0 {
			return fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
		}
		missing, err := a.missingEvents(id, block, node, events)
		if err != nil {
			// The task cannot be described (bad metadata, bad inputs):
			// fail the block with the reason, once.
			em := sdk.NewEmitter(s, id, system, sdk.WithSequence(events[len(events)-1].Sequence))
			if ferr := em.FailErr(ctx, err); ferr != nil && !errors.Is(ferr, store.ErrFinal) {
				return ferr
			}
			return nil
		}
		if len(missing) == 0 {
			return nil
		}
		_, err = s.Append(ctx, missing, store.ExpectSequence(events[len(events)-1].Sequence))
		if err == nil || errors.Is(err, store.ErrFinal) {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return fmt.Errorf("record task of execution %s: %w", id, err)
		}
	}
}

// missingEvents returns the events the log lacks for the task to be
// pending and held, or nothing when the execution ended.
func (a *Adapter) missingEvents(id uuid.UUID, block core.WorkBlock, node core.NodeReference, events []execution.Event) ([]execution.Event, error) {
	have := map[uuid.UUID]bool{}
	var lastAssigned *execution.ExecutorInfo
	released := false
	var releasedSeq uint64
	for i := range events {
		ev := &events[i]
		if ev.EventType.IsTerminal() {
			return nil, nil
		}
		have[ev.ID] = true
		switch ev.EventType {
		case execution.EventExecutorAssigned:
			lastAssigned, released = ev.Executor, false
		case execution.EventExecutorReleased:
			released, releasedSeq = true, ev.Sequence
		}
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	if !have[eventID(id, "task")] {
		if err := a.ports.CheckInputs(block, created.Inputs); err != nil {
			return nil, err
		}
		task, assignment, err := buildTask(block, node, created.Inputs, events[0].Timestamp)
		if err != nil {
			return nil, sdk.Failf("bad_metadata", "%w", err)
		}
		x := assignment.Executor()
		var out []execution.Event
		if !have[eventID(id, "assigned")] {
			out = append(out, a.event(id, "assigned", execution.EventExecutorAssigned, x, nil, now))
		}
		if !have[eventID(id, "started")] {
			out = append(out, a.event(id, "started", execution.EventStarted, system, nil, now))
		}
		// The task waits for a person from here on: saying so gives the
		// plugin's concurrency slot back (sdk.ProgressWaiting), so tasks
		// waiting days do not hold up the blocks that work.
		waiting := sdk.WaitingPayload{Type: sdk.ProgressWaiting, For: "person", Reason: "task " + task.Title}
		return append(out, a.event(id, "task", execution.EventProgress, system, task, now),
			a.event(id, "waiting", execution.EventProgress, system, waiting, now)), nil
	}
	var out []execution.Event
	if !have[eventID(id, "waiting")] {
		// A task an older plugin recorded, before tasks said they wait:
		// say it now, or the task holds a slot until a person ends it.
		waiting := sdk.WaitingPayload{Type: sdk.ProgressWaiting, For: "person", Reason: "task " + block.Name}
		out = append(out, a.event(id, "waiting", execution.EventProgress, system, waiting, now))
	}
	if released && lastAssigned != nil {
		// A plugin restart released the task's holder: the task did not
		// move, so whoever held it holds it again.
		x := *lastAssigned
		out = append(out, a.event(id, fmt.Sprintf("reassigned/%d", releasedSeq), execution.EventExecutorAssigned, x, nil, now))
	}
	return out, nil
}

func (a *Adapter) event(exec uuid.UUID, purpose string, t execution.EventType, x execution.ExecutorInfo, payload any, now time.Time) execution.Event {
	raw, err := execution.MarshalPayload(payload)
	if err != nil {
		raw, _ = execution.MarshalPayload(map[string]string{"error": err.Error()})
	}
	return execution.Event{ID: eventID(exec, purpose), Timestamp: now, ExecutionID: exec, EventType: t, Executor: &x, Payload: raw}
}
