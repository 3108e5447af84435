package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Sentinel errors. Implementations wrap them with context; callers match
// them with errors.Is. They keep their identity across the plugin boundary.
var (
	// ErrNotFound: the execution has no events.
	ErrNotFound = errors.New("execution not found")
	// ErrConflict: the expected sequence did not match the execution's last
	// sequence; another writer appended first.
	ErrConflict = errors.New("sequence conflict")
	// ErrFinal: the execution already reached a terminal state and the
	// append would add a non-administrative event (invariant 7).
	ErrFinal = errors.New("execution is in a terminal state")
	// ErrInvalid: the append is malformed (mixed executions, a log that
	// does not start with created, an unknown event type, …).
	ErrInvalid = errors.New("invalid append")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrCorrupt: stored data failed a check (a checksum, a missing or
	// damaged file). The error names what is damaged: the execution and
	// sequence of an event, or the file. A store never returns damaged
	// bytes as data.
	ErrCorrupt = errors.New("stored data is corrupt")
	// ErrNoSpace: the store refused an append because the disk holding it
	// is (nearly) full. Nothing of the append was stored; retry it once
	// space is freed. Reads keep working.
	ErrNoSpace = errors.New("not enough free disk space")
)

// AppendOptions tune one Append.
type AppendOptions struct {
	// ExpectedSequence, when non-nil, makes the append fail with ErrConflict
	// unless the execution's last sequence equals *ExpectedSequence (0 for an
	// execution with no events yet).
	ExpectedSequence *uint64
}

// ExpectSequence returns options that require the execution's last sequence
// to be n.
func ExpectSequence(n uint64) AppendOptions { return AppendOptions{ExpectedSequence: &n} }

// ExecutionInfo summarises one execution, as the store's indexes know it.
type ExecutionInfo struct {
	ID   uuid.UUID
	Kind execution.Kind
	// Parent is the execution that created this one (a block's flow
	// execution, a flow's contract execution), or uuid.Nil.
	Parent uuid.UUID
	// DefinitionID and DefinitionVersion pin what the execution runs.
	DefinitionID      uuid.UUID
	DefinitionVersion int
	// LastSequence is the sequence of the execution's latest event.
	LastSequence uint64
	// Terminal reports whether a terminal event has been stored.
	Terminal  bool
	CreatedAt time.Time
}

// Filter selects executions for ListExecutions. Zero fields match anything;
// set fields must all match.
type Filter struct {
	OpenOnly     bool      // only executions without a terminal event
	Parent       uuid.UUID // only children of this execution
	DefinitionID uuid.UUID // only executions of this block, flow or contract
	Kind         execution.Kind
}

// SubscribeOptions say which events a subscription delivers.
type SubscribeOptions struct {
	// ExecutionID restricts the subscription to one execution; uuid.Nil
	// means every execution of the store.
	ExecutionID uuid.UUID
	// After is where delivery starts: with ExecutionID, events with a
	// Sequence greater than After; without, events with a Position greater
	// than After. 0 delivers from the beginning.
	After uint64
}

// Subscription delivers events in order, without loss. It reads from the
// store at its own pace, so a slow subscriber never blocks writers.
type Subscription interface {
	// Next blocks until the next event is available, ctx is done, or the
	// subscription or store is closed (ErrClosed).
	Next(ctx context.Context) (execution.Event, error)
	// Close releases the subscription; a blocked Next returns ErrClosed.
	Close() error
}

// EventStore is the append-only execution log. All methods are safe for
// concurrent use.
type EventStore interface {
	// Append stores events — all of one execution — atomically, in order,
	// and returns them as stored, with Sequence, Position and (if zero)
	// ID and Timestamp filled in. If every event's id is already stored the
	// call is a no-op returning the stored events; if only some are, it
	// fails with ErrInvalid.
	Append(ctx context.Context, events []execution.Event, opts AppendOptions) ([]execution.Event, error)
	// Events returns an execution's events with Sequence > after, in order.
	// An unknown execution gives an empty list and no error.
	Events(ctx context.Context, executionID uuid.UUID, after uint64) ([]execution.Event, error)
	// LatestEvent returns an execution's last event, or ErrNotFound.
	LatestEvent(ctx context.Context, executionID uuid.UUID) (execution.Event, error)
	// Execution returns the summary of one execution, or ErrNotFound.
	Execution(ctx context.Context, executionID uuid.UUID) (ExecutionInfo, error)
	// ListExecutions returns the executions that match f, oldest first.
	ListExecutions(ctx context.Context, f Filter) ([]ExecutionInfo, error)
	// Subscribe starts a subscription; see SubscribeOptions.
	Subscribe(ctx context.Context, opts SubscribeOptions) (Subscription, error)
	// Close releases the store. Blocked subscriptions return ErrClosed.
	Close() error
}

// EventsSince returns an execution's events recorded after t, as the spec's
// get_events(after: datetime) does. Prefer Events with a sequence: clocks of
// different executors disagree, sequences do not.
func EventsSince(ctx context.Context, s EventStore, executionID uuid.UUID, t time.Time) ([]execution.Event, error) {
	all, err := s.Events(ctx, executionID, 0)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if e.Timestamp.After(t) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Positioner is implemented by stores that can say where their log ends.
// A reader that wants only what happens from now on (the engine, on start)
// subscribes after LastPosition instead of replaying the store.
type Positioner interface {
	// LastPosition returns the Position of the newest event, 0 when empty.
	LastPosition(ctx context.Context) (uint64, error)
}
