package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// hostEvent builds an event the host writes, with the deterministic id of
// its purpose. The payload is encoded now; an encoding failure (a value
// JSON cannot hold) is carried into the payload as an error message rather
// than lost.
func (e *Engine) hostEvent(exec uuid.UUID, purpose string, t execution.EventType, payload any) execution.Event {
	raw, err := execution.MarshalPayload(payload)
	if err != nil {
		raw, _ = execution.MarshalPayload(execution.Failure{Reason: fmt.Sprintf("payload could not be encoded: %v", err)})
	}
	return execution.Event{
		ID:          eventID(exec, purpose),
		Timestamp:   e.now().UTC(),
		ExecutionID: exec,
		EventType:   t,
		Executor:    hostExecutor(),
		Payload:     raw,
	}
}

// appendEvents appends events of one execution atomically. Because every
// host event has a deterministic id, repeating an append after a crash is a
// no-op. Should a repeat overlap a stored batch only in part (which the
// store refuses as a whole), the events are appended one by one, each a
// no-op or new.
func (e *Engine) appendEvents(ctx context.Context, events ...execution.Event) ([]execution.Event, error) {
	stored, err := e.appendWaitingForSpace(ctx, events, store.AppendOptions{})
	if err == nil || len(events) == 1 || !errors.Is(err, store.ErrInvalid) {
		return stored, err
	}
	stored = stored[:0]
	for _, ev := range events {
		s, err := e.appendWaitingForSpace(ctx, []execution.Event{ev}, store.AppendOptions{})
		if err != nil {
			return stored, err
		}
		stored = append(stored, s...)
	}
	return stored, nil
}

// isFinal reports an append refused because the execution already ended:
// whoever ended it won, which is fine for every append the host makes.
func isFinal(err error) bool { return errors.Is(err, store.ErrFinal) }
