package execution_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

func TestLogTailNext(t *testing.T) {
	id := uuid.New()
	ev := func(typ execution.EventType) execution.Event {
		return execution.Event{ID: uuid.New(), ExecutionID: id, EventType: typ}
	}
	admin := func(typ execution.EventType) execution.Event {
		e := ev(typ)
		e.Metadata = map[string]any{execution.MetadataAdministrative: true}
		return e
	}
	empty := execution.LogTail{}
	open := execution.LogTail{ExecutionID: id, LastSequence: 2}
	final := execution.LogTail{ExecutionID: id, LastSequence: 3, Terminal: true}
	withPayload := ev(execution.EventProgress)
	withPayload.Payload = json.RawMessage(`{"a":`)
	foreign := ev(execution.EventProgress)
	foreign.ExecutionID = uuid.New()
	noExec := ev(execution.EventCreated)
	noExec.ExecutionID = uuid.Nil
	cases := []struct {
		name string
		tail execution.LogTail
		ev   execution.Event
		rule error // nil: accepted
		msg  string
	}{
		{"created opens a log", empty, ev(execution.EventCreated), nil, ""},
		{"progress on an open log", open, ev(execution.EventProgress), nil, ""},
		{"terminal on an open log", open, ev(execution.EventCancelled), nil, ""},
		{"administrative progress after terminal", final, admin(execution.EventProgress), nil, ""},
		{"administrative release after terminal", final, admin(execution.EventExecutorReleased), nil, ""},
		{"administrative assignment after terminal", final, admin(execution.EventExecutorAssigned), nil, ""},
		{"first event not created", empty, ev(execution.EventStarted), execution.ErrMalformedLog, "first event is started, want created"},
		{"created twice", open, ev(execution.EventCreated), execution.ErrMalformedLog, "created may only be the first event"},
		{"unknown type", open, ev("paused"), execution.ErrMalformedLog, `unknown event type "paused"`},
		{"another execution", open, foreign, execution.ErrMalformedLog, "belongs to execution " + foreign.ExecutionID.String()},
		{"no execution id", empty, noExec, execution.ErrMalformedLog, "no execution_id"},
		{"payload not JSON", open, withPayload, execution.ErrMalformedLog, "payload is not valid JSON"},
		{"started after terminal", final, ev(execution.EventStarted), execution.ErrAfterTerminal, "started cannot follow the terminal event"},
		{"a second terminal", final, ev(execution.EventCompleted), execution.ErrAfterTerminal, "completed cannot follow"},
		{"non-administrative progress after terminal", final, ev(execution.EventProgress), execution.ErrAfterTerminal, "progress cannot follow"},
		{"administrative flag on an outcome does not count", final, admin(execution.EventOutcomeProduced), execution.ErrAfterTerminal, "outcome_produced cannot follow"},
		{"administrative flag on a terminal event does not count", final, admin(execution.EventSkipped), execution.ErrAfterTerminal, "skipped cannot follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, err := c.tail.Next(&c.ev)
			if c.rule == nil {
				if err != nil {
					t.Fatalf("Next = %v, want accepted", err)
				}
				if next.LastSequence != c.tail.LastSequence+1 || next.ExecutionID != id {
					t.Errorf("Next tail = %+v, want sequence %d of %s", next, c.tail.LastSequence+1, id)
				}
				if next.Terminal != (c.tail.Terminal || c.ev.EventType.IsTerminal()) {
					t.Errorf("Next tail terminal = %v", next.Terminal)
				}
				return
			}
			if !errors.Is(err, c.rule) {
				t.Fatalf("Next = %v, want %v", err, c.rule)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			var le *execution.LogError
			if !errors.As(err, &le) || le.Sequence != c.tail.LastSequence+1 || le.EventID != c.ev.ID {
				t.Errorf("error %#v does not locate the event (sequence %d, id %s)", err, c.tail.LastSequence+1, c.ev.ID)
			}
			if next != c.tail {
				t.Errorf("a refused event moved the tail to %+v", next)
			}
		})
	}
}

func TestValidateLog(t *testing.T) {
	id := uuid.New()
	log := func(types ...execution.EventType) []execution.Event {
		return blockLog(id, uuid.New(), 1, types...)
	}
	numbered := func(evs []execution.Event, seqs ...uint64) []execution.Event {
		for i := range evs {
			evs[i].Sequence = seqs[i]
			evs[i].Position = uint64(10 * (i + 1))
		}
		return evs
	}
	dupID := log(execution.EventStarted, execution.EventProgress)
	dupID[2].ID = dupID[1].ID
	noID := log(execution.EventStarted)
	noID[1].ID = uuid.Nil
	backwards := numbered(log(execution.EventStarted, execution.EventProgress), 1, 2, 3)
	backwards[2].Position = 5
	cases := []struct {
		name string
		log  []execution.Event
		rule error
		msg  string
	}{
		{"whole life of a block", log(execution.EventExecutorAssigned, execution.EventStarted, execution.EventOutcomeProduced, execution.EventCompleted), nil, ""},
		{"created only", log(), nil, ""},
		{"store-numbered log", numbered(log(execution.EventStarted, execution.EventFailed), 1, 2, 3), nil, ""},
		{"empty", nil, execution.ErrMalformedLog, "empty log"},
		{"starts with started", log(execution.EventStarted)[1:], execution.ErrMalformedLog, "first event is started, want created"},
		{"event after terminal", log(execution.EventCompleted, execution.EventProgress), execution.ErrAfterTerminal, "event 3 (progress"},
		{"duplicate id", dupID, execution.ErrMalformedLog, "id already used by event 2"},
		{"missing id", noID, execution.ErrMalformedLog, "no id"},
		{"sequence gap", numbered(log(execution.EventStarted, execution.EventProgress), 1, 2, 4), execution.ErrMalformedLog, "sequence 4, want 3"},
		{"positions out of order", backwards, execution.ErrMalformedLog, "position 5 does not follow position 20"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := execution.ValidateLog(c.log)
			if c.rule == nil {
				if err != nil {
					t.Fatalf("ValidateLog = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, c.rule) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("ValidateLog = %v, want %v saying %q", err, c.rule, c.msg)
			}
		})
	}
}
