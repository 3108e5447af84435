package execution

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// EventType is the kind of state transition an Event records (§3.1).
type EventType string

// The ten event types of the specification.
const (
	EventCreated          EventType = "created"
	EventExecutorAssigned EventType = "executor_assigned"
	EventExecutorReleased EventType = "executor_released"
	EventStarted          EventType = "started"
	EventProgress         EventType = "progress"
	EventOutcomeProduced  EventType = "outcome_produced"
	EventCompleted        EventType = "completed"
	EventFailed           EventType = "failed"
	EventSkipped          EventType = "skipped"
	EventCancelled        EventType = "cancelled"
)

// EventTypes lists every event type in the order of the specification.
var EventTypes = []EventType{
	EventCreated, EventExecutorAssigned, EventExecutorReleased, EventStarted, EventProgress,
	EventOutcomeProduced, EventCompleted, EventFailed, EventSkipped, EventCancelled,
}

// Valid reports whether t is one of the ten types.
func (t EventType) Valid() bool {
	for _, v := range EventTypes {
		if t == v {
			return true
		}
	}
	return false
}

// IsTerminal reports whether t ends an execution: completed, failed,
// skipped or cancelled.
func (t EventType) IsTerminal() bool {
	switch t {
	case EventCompleted, EventFailed, EventSkipped, EventCancelled:
		return true
	}
	return false
}

// ExecutorType is the category of an executor (§3.2).
type ExecutorType string

// The executor categories.
const (
	ExecutorHuman  ExecutorType = "human"
	ExecutorAgent  ExecutorType = "agent"
	ExecutorSystem ExecutorType = "system"
)

// ExecutorInfo identifies who or what was acting when an event was recorded.
type ExecutorInfo struct {
	Type       ExecutorType   `json:"type"`
	Identifier string         `json:"identifier"`
	Metadata   map[string]any `json:"metadata"`
}

// MetadataAdministrative marks an event as administrative: such events (an
// audit note, a late annotation) may be appended after an execution reached
// a terminal state, which invariant 7 otherwise forbids. Only progress,
// executor_assigned and executor_released events can be administrative.
const MetadataAdministrative = "administrative"

// Event is one immutable entry of an execution's log (§3.1).
//
// Sequence and Position are openoma extensions assigned by the store on
// append: Sequence numbers an execution's events 1, 2, 3, … with no gaps;
// Position orders all events of a store. Both are omitted from JSON while
// zero, so Python openoma documents load unchanged.
type Event struct {
	ID          uuid.UUID       `json:"id"`
	Timestamp   time.Time       `json:"timestamp"`
	ExecutionID uuid.UUID       `json:"execution_id"`
	EventType   EventType       `json:"event_type"`
	Executor    *ExecutorInfo   `json:"executor"`
	Payload     json.RawMessage `json:"payload"`
	Metadata    map[string]any  `json:"metadata"`
	Sequence    uint64          `json:"sequence,omitempty"`
	Position    uint64          `json:"position,omitempty"`
}

// IsAdministrative reports whether e may follow a terminal event.
func (e *Event) IsAdministrative() bool {
	switch e.EventType {
	case EventProgress, EventExecutorAssigned, EventExecutorReleased:
		v, _ := e.Metadata[MetadataAdministrative].(bool)
		return v
	}
	return false
}

// DecodePayload unmarshals e's payload into v. A missing or null payload
// leaves v unchanged.
func (e *Event) DecodePayload(v any) error {
	if len(e.Payload) == 0 || string(e.Payload) == "null" {
		return nil
	}
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("event %s (%s): payload: %w", e.ID, e.EventType, err)
	}
	return nil
}

// NewEvent returns an event with a fresh id, the current UTC time and the
// payload encoded as JSON.
func NewEvent(executionID uuid.UUID, t EventType, executor *ExecutorInfo, payload any) (Event, error) {
	raw, err := MarshalPayload(payload)
	if err != nil {
		return Event{}, err
	}
	return Event{
		ID:          uuid.New(),
		Timestamp:   time.Now().UTC(),
		ExecutionID: executionID,
		EventType:   t,
		Executor:    executor,
		Payload:     raw,
	}, nil
}

// MarshalPayload encodes v for an Event's Payload; nil gives null.
func MarshalPayload(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode event payload: %w", err)
	}
	return b, nil
}

// MarshalJSON writes e in the canonical form: null payload when empty, {}
// metadata when nil, and an RFC 3339 timestamp with nanoseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	w := plain(e)
	if len(w.Payload) == 0 {
		w.Payload = json.RawMessage("null")
	}
	if w.Metadata == nil {
		w.Metadata = map[string]any{}
	}
	if w.Executor != nil && w.Executor.Metadata == nil {
		x := *w.Executor
		x.Metadata = map[string]any{}
		w.Executor = &x
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads e, accepting the timestamps Python writes: with or
// without a zone (no zone means UTC), with "Z" or "+00:00".
func (e *Event) UnmarshalJSON(data []byte) error {
	type plain Event
	w := struct {
		plain
		Timestamp string `json:"timestamp"`
	}{}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = Event(w.plain)
	if w.Timestamp == "" {
		return nil
	}
	ts, err := ParseTimestamp(w.Timestamp)
	if err != nil {
		return err
	}
	e.Timestamp = ts
	return nil
}

// ParseTimestamp parses an ISO 8601 timestamp as Python's datetime.isoformat
// writes it; a timestamp without a zone is taken as UTC.
func ParseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	s = strings.Replace(s, " ", "T", 1)
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not ISO 8601: %w", s, err)
	}
	return t, nil
}
