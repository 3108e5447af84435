package execution

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// The rules an event log keeps, as errors.Is can tell them apart. Every
// *LogError wraps one of them.
var (
	// ErrMalformedLog: the log breaks a structural rule — it does not start
	// with created, mixes executions, holds an unknown event type, repeats
	// an event id, or numbers its events wrongly.
	ErrMalformedLog = errors.New("malformed event log")
	// ErrAfterTerminal: a non-administrative event follows the log's
	// terminal event (invariant 7, terminal state finality).
	ErrAfterTerminal = errors.New("event after terminal event")
)

// LogError says which event of a log breaks which rule.
type LogError struct {
	ExecutionID uuid.UUID
	// Sequence is the event's place in its execution's log (1 for the
	// first event), whether or not a store has numbered it yet.
	Sequence  uint64
	EventID   uuid.UUID
	EventType EventType
	// Rule is ErrMalformedLog or ErrAfterTerminal.
	Rule    error
	Message string
}

func (e *LogError) Error() string {
	if e.EventID == uuid.Nil {
		return fmt.Sprintf("execution %s: event %d (%s): %s", e.ExecutionID, e.Sequence, e.EventType, e.Message)
	}
	return fmt.Sprintf("execution %s: event %d (%s, id %s): %s", e.ExecutionID, e.Sequence, e.EventType, e.EventID, e.Message)
}

// Unwrap returns the rule, so errors.Is(err, ErrAfterTerminal) works.
func (e *LogError) Unwrap() error { return e.Rule }

// LogTail is what the append rules need to know about a log to judge the
// event that would follow it. The zero LogTail is an empty log of any
// execution.
type LogTail struct {
	// ExecutionID is the log's execution; uuid.Nil accepts the first
	// event's.
	ExecutionID uuid.UUID
	// LastSequence is the number of events in the log.
	LastSequence uint64
	// Terminal reports whether the log holds a terminal event.
	Terminal bool
}

// Next checks that ev may follow the log ending at t and returns the tail
// with ev added. It is the one place the per-event rules live: stores call
// it (through store.PrepareAppend) on every append, and ValidateLog on every
// event of a whole log. The rules:
//
//   - the event names an execution, the log's own;
//   - its type is one of the ten;
//   - created comes first, and only first;
//   - after a terminal event only administrative events follow (invariant 7);
//   - its payload, when present, is JSON.
func (t LogTail) Next(ev *Event) (LogTail, error) {
	seq := t.LastSequence + 1
	fail := func(rule error, format string, args ...any) (LogTail, error) {
		id := t.ExecutionID
		if id == uuid.Nil {
			id = ev.ExecutionID
		}
		return t, &LogError{
			ExecutionID: id, Sequence: seq, EventID: ev.ID, EventType: ev.EventType,
			Rule: rule, Message: fmt.Sprintf(format, args...),
		}
	}
	switch {
	case ev.ExecutionID == uuid.Nil:
		return fail(ErrMalformedLog, "no execution_id")
	case t.ExecutionID != uuid.Nil && ev.ExecutionID != t.ExecutionID:
		return fail(ErrMalformedLog, "belongs to execution %s; a log holds the events of one execution", ev.ExecutionID)
	case !ev.EventType.Valid():
		return fail(ErrMalformedLog, "unknown event type %q (want one of %v)", ev.EventType, EventTypes)
	case seq == 1 && ev.EventType != EventCreated:
		return fail(ErrMalformedLog, "first event is %s, want created", ev.EventType)
	case seq > 1 && ev.EventType == EventCreated:
		return fail(ErrMalformedLog, "created may only be the first event")
	case t.Terminal && !ev.IsAdministrative():
		return fail(ErrAfterTerminal, "%s cannot follow the terminal event; only progress and executor events marked %q may",
			ev.EventType, MetadataAdministrative)
	case len(ev.Payload) > 0 && !json.Valid(ev.Payload):
		return fail(ErrMalformedLog, "payload is not valid JSON")
	}
	return LogTail{
		ExecutionID:  ev.ExecutionID,
		LastSequence: seq,
		Terminal:     t.Terminal || ev.EventType.IsTerminal(),
	}, nil
}

// ValidateLog checks a whole execution log against the rules a store
// enforces on append (see LogTail.Next), plus what only a stored log has:
// distinct event ids, and — where the log carries them — sequences 1, 2, 3, …
// and increasing positions. It returns the first broken rule as a *LogError,
// or nil. Use it on logs that did not come through a store: imports,
// fixtures, another implementation's export.
func ValidateLog(events []Event) error {
	if len(events) == 0 {
		return &LogError{Rule: ErrMalformedLog, Sequence: 1, Message: "empty log: no created event"}
	}
	var tail LogTail
	seen := make(map[uuid.UUID]uint64, len(events))
	var lastPosition uint64
	for i := range events {
		ev := &events[i]
		seq := uint64(i + 1)
		malformed := func(format string, args ...any) error {
			return &LogError{
				ExecutionID: ev.ExecutionID, Sequence: seq, EventID: ev.ID, EventType: ev.EventType,
				Rule: ErrMalformedLog, Message: fmt.Sprintf(format, args...),
			}
		}
		next, err := tail.Next(ev)
		if err != nil {
			return err
		}
		tail = next
		if ev.ID == uuid.Nil {
			return malformed("no id")
		}
		if first, dup := seen[ev.ID]; dup {
			return malformed("id already used by event %d", first)
		}
		seen[ev.ID] = seq
		if ev.Sequence != 0 && ev.Sequence != seq {
			return malformed("sequence %d, want %d: sequences number a log 1, 2, 3, … without gaps", ev.Sequence, seq)
		}
		if ev.Position != 0 {
			if ev.Position <= lastPosition {
				return malformed("position %d does not follow position %d", ev.Position, lastPosition)
			}
			lastPosition = ev.Position
		}
	}
	return nil
}
