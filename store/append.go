package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Tail is what an implementation knows about an execution's log before an
// append: its last sequence (0 when it has no events) and whether a terminal
// event is stored.
type Tail struct {
	LastSequence uint64
	Terminal     bool
}

// PrepareAppend checks a batch against the rules every store enforces and
// returns it ready to store: sequences numbered on from tail, missing ids
// and timestamps filled, timestamps in UTC. Implementations call it inside
// the same critical section or transaction that writes the batch, so the
// checks and the write are atomic. Position is left to the implementation.
//
// The batch must be non-empty, hold no id twice, and match the expected
// sequence if one is given (ErrConflict). Each event must then pass
// execution.LogTail.Next — one execution, a known type, created first and
// only first, JSON payloads — (ErrInvalid), and nothing but administrative
// events may follow a terminal event, stored or earlier in the batch
// (ErrFinal). Errors wrap both the store sentinel and the
// *execution.LogError that says which event broke which rule.
func PrepareAppend(events []execution.Event, tail Tail, opts AppendOptions, now time.Time) ([]execution.Event, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: no events", ErrInvalid)
	}
	if err := checkUniqueIDs(events); err != nil {
		return nil, err
	}
	execID := events[0].ExecutionID
	if execID == uuid.Nil {
		return nil, fmt.Errorf("%w: event %s (%s) has no execution_id", ErrInvalid, events[0].ID, events[0].EventType)
	}
	if opts.ExpectedSequence != nil && *opts.ExpectedSequence != tail.LastSequence {
		return nil, fmt.Errorf("%w: execution %s: expected sequence %d, last is %d",
			ErrConflict, execID, *opts.ExpectedSequence, tail.LastSequence)
	}
	log := execution.LogTail{ExecutionID: execID, LastSequence: tail.LastSequence, Terminal: tail.Terminal}
	out := make([]execution.Event, len(events))
	for i, ev := range events {
		next, err := log.Next(&ev)
		if err != nil {
			if errors.Is(err, execution.ErrAfterTerminal) {
				return nil, fmt.Errorf("%w: %w", ErrFinal, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		log = next
		if ev.ID == uuid.Nil {
			ev.ID = uuid.New()
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = now
		}
		ev.Timestamp = ev.Timestamp.UTC()
		if len(ev.Payload) == 0 {
			ev.Payload = []byte("null")
		}
		ev.Sequence = log.LastSequence
		ev.Position = 0
		out[i] = ev
	}
	return out, nil
}

// checkUniqueIDs rejects a batch in which two events share an id.
func checkUniqueIDs(events []execution.Event) error {
	seen := make(map[uuid.UUID]bool, len(events))
	for _, ev := range events {
		if ev.ID == uuid.Nil {
			continue
		}
		if seen[ev.ID] {
			return fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalid, ev.ID)
		}
		seen[ev.ID] = true
	}
	return nil
}

// InfoFromCreated builds the index entry of a new execution from its
// created event, so every store indexes executions the same way. A payload
// that is not an openoma Created object (a foreign log) is indexed without
// kind, parent or definition rather than refused.
func InfoFromCreated(created execution.Event) ExecutionInfo {
	var c execution.Created
	_ = created.DecodePayload(&c)
	id, version := c.Definition()
	return ExecutionInfo{
		ID:                created.ExecutionID,
		Kind:              c.Kind,
		Parent:            c.Parent(),
		DefinitionID:      id,
		DefinitionVersion: version,
		CreatedAt:         created.Timestamp,
	}
}

// Matches reports whether info is selected by f.
func (f Filter) Matches(info ExecutionInfo) bool {
	switch {
	case f.OpenOnly && info.Terminal:
		return false
	case f.Parent != uuid.Nil && info.Parent != f.Parent:
		return false
	case f.DefinitionID != uuid.Nil && info.DefinitionID != f.DefinitionID:
		return false
	case f.Kind != "" && info.Kind != f.Kind:
		return false
	}
	return true
}
