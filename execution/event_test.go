package execution_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(ns int) time.Time { return time.Date(2025, 1, 1, 10, 0, 0, ns, time.UTC) }
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2025-01-01T10:00:00", utc(0)},                      // datetime.utcnow().isoformat()
		{"2025-01-01T10:00:00+00:00", utc(0)},                // datetime.now(timezone.utc).isoformat()
		{"2025-01-01T10:00:00Z", utc(0)},                     // pydantic model_dump(mode="json")
		{"2025-01-01T10:00:00.123456", utc(123456000)},       // microseconds, naive
		{"2025-01-01T10:00:00.123456+00:00", utc(123456000)}, // microseconds, aware
		{"2025-01-01T10:00:00.123456789Z", utc(123456789)},   // Go, nanoseconds
		{"2025-01-01T12:00:00+02:00", utc(0)},                // another zone
		{"2025-01-01 10:00:00", utc(0)},                      // str(datetime)
		{"2025-01-01 10:00:00.5+00:00", utc(500000000)},      // str(aware datetime)
		{"2025-01-01T05:30:00.000001-04:30", utc(1000)},      // odd offsets
	}
	for _, c := range cases {
		got, err := execution.ParseTimestamp(c.in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", c.in, err)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("ParseTimestamp(%q) = %s, want %s", c.in, got.Format(time.RFC3339Nano), c.want.Format(time.RFC3339Nano))
		}
	}
	for _, bad := range []string{"", "yesterday", "2025-13-01T10:00:00", "2025-01-01", "10:00:00", "2025-01-01T25:00:00Z"} {
		if _, err := execution.ParseTimestamp(bad); err == nil || !strings.Contains(err.Error(), "ISO 8601") {
			t.Errorf("ParseTimestamp(%q) = %v, want an ISO 8601 error", bad, err)
		}
	}
}

// pythonEvent is an ExecutionEvent as openoma 0.1.0 dumps it with
// model_dump(mode="json"): no sequence, no position, a naive timestamp.
const pythonEvent = `{
  "id": "3f1a1c2e-8d0b-4c59-9a53-5f2f0b7f6a11",
  "timestamp": "2025-01-01T10:00:00",
  "execution_id": "0b6e7c52-1f9a-4e0e-8a55-6a9d3d9a2b22",
  "event_type": "executor_assigned",
  "executor": {"type": "agent", "identifier": "claude-review", "metadata": {"model": "m-1"}},
  "payload": {"note": "picked up", "priority": 2, "tags": ["a", "b"]},
  "metadata": {"source": "python"}
}`

func TestEventFromPython(t *testing.T) {
	var ev execution.Event
	if err := json.Unmarshal([]byte(pythonEvent), &ev); err != nil {
		t.Fatal(err)
	}
	want := execution.Event{
		ID:          uuid.MustParse("3f1a1c2e-8d0b-4c59-9a53-5f2f0b7f6a11"),
		Timestamp:   time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC),
		ExecutionID: uuid.MustParse("0b6e7c52-1f9a-4e0e-8a55-6a9d3d9a2b22"),
		EventType:   execution.EventExecutorAssigned,
		Executor:    &execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: "claude-review", Metadata: map[string]any{"model": "m-1"}},
		Payload:     json.RawMessage(`{"note": "picked up", "priority": 2, "tags": ["a", "b"]}`),
		Metadata:    map[string]any{"source": "python"},
	}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("decoded\n  %+v\nwant\n  %+v", ev, want)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	// What we write has the Python field set and nothing else, so the
	// Python models load it.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(out, &fields); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	for _, k := range []string{"id", "timestamp", "execution_id", "event_type", "executor", "payload", "metadata"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("encoded event lacks %q: %s", k, out)
		}
	}
	if len(fields) != 7 {
		t.Errorf("encoded event has fields %v, want exactly the seven of the spec while sequence and position are zero", keys)
	}
	if string(fields["timestamp"]) != `"2025-01-01T10:00:00Z"` {
		t.Errorf("timestamp encoded as %s", fields["timestamp"])
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	cases := []execution.Event{
		{
			ID: uuid.New(), Timestamp: time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC), ExecutionID: uuid.New(),
			EventType: execution.EventOutcomeProduced, Payload: json.RawMessage(`{"url":"https://x/1","n":[1,2.5,null]}`),
			Metadata: map[string]any{"k": "v"}, Sequence: 7, Position: 1234,
		},
		{ // no executor, null payload, nil metadata
			ID: uuid.New(), Timestamp: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), ExecutionID: uuid.New(),
			EventType: execution.EventCreated, Payload: json.RawMessage(`null`), Metadata: map[string]any{},
		},
		{
			ID: uuid.New(), Timestamp: time.Date(2024, 2, 29, 23, 59, 59, 1, time.UTC), ExecutionID: uuid.New(),
			EventType: execution.EventFailed, Executor: &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "bob", Metadata: map[string]any{}},
			Payload: json.RawMessage(`{"reason":"nope","code":"rejected"}`), Metadata: map[string]any{execution.MetadataAdministrative: false},
		},
	}
	for i, ev := range cases {
		first, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var back execution.Event
		if err := json.Unmarshal(first, &back); err != nil {
			t.Fatalf("case %d: decode %s: %v", i, first, err)
		}
		if !reflect.DeepEqual(back, ev) {
			t.Errorf("case %d: round trip\n  %+v\nwant\n  %+v", i, back, ev)
		}
		second, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(first) != string(second) {
			t.Errorf("case %d: encode → decode → encode changed the document:\n%s\n%s", i, first, second)
		}
	}
}

func TestEventJSONDefaults(t *testing.T) {
	// An event with nothing optional set is still written in full.
	out, err := json.Marshal(execution.Event{EventType: execution.EventStarted, Executor: &execution.ExecutorInfo{Type: execution.ExecutorSystem}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"payload":null`, `"metadata":{}`, `"executor":{"type":"system","identifier":"","metadata":{}}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
}

func TestEventJSONErrors(t *testing.T) {
	cases := map[string]string{
		`{"timestamp":"tomorrow"}`: "ISO 8601",
		`{"id":"not-a-uuid"}`:      "invalid UUID",
		`{"payload":}`:             "invalid character",
		`{"timestamp":12}`:         "cannot unmarshal number",
		`[]`:                       "cannot unmarshal array",
		`{"executor":{"type":[]}}`: "cannot unmarshal array",
	}
	for in, want := range cases {
		var ev execution.Event
		err := json.Unmarshal([]byte(in), &ev)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%s) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestNewEvent(t *testing.T) {
	id := uuid.New()
	ev, err := execution.NewEvent(id, execution.EventOutcomeProduced, nil, execution.Outcome{"verdict": "approved"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID == uuid.Nil || ev.ExecutionID != id || ev.Timestamp.Location() != time.UTC || string(ev.Payload) != `{"verdict":"approved"}` {
		t.Errorf("NewEvent = %+v", ev)
	}
	if _, err := execution.NewEvent(id, execution.EventProgress, nil, func() {}); err == nil {
		t.Error("NewEvent with an unencodable payload succeeded")
	}
	if ev, _ := execution.NewEvent(id, execution.EventStarted, nil, nil); string(ev.Payload) != "null" {
		t.Errorf("nil payload encoded as %q", ev.Payload)
	}
}
