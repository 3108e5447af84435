package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func appendProperties() []property {
	return []property{
		{"Append/SequencesContiguousFromOne", testSequencesContiguous},
		{"Append/PerExecutionOrder", testPerExecutionOrder},
		{"Append/PositionStrictlyIncreasing", testPositionIncreasing},
		{"Append/BatchIsAtomic", testBatchAtomic},
		{"Append/FillsIDAndTimestamp", testFillsIDAndTimestamp},
		{"Append/PayloadBytesIdentical", testPayloadBytesIdentical},
		{"Append/TimestampsPreservedInUTC", testTimestampsPreserved},
		{"Append/MetadataAndExecutorPreserved", testMetadataPreserved},
		{"Append/CallerCannotMutateStoredEvents", testNoAliasing},
		{"Append/FirstEventMustBeCreated", testCreatedFirst},
		{"Append/MalformedBatchesRejected", testMalformedBatches},
		{"Append/ExpectedSequence", testExpectedSequence},
		{"Append/ExpectedSequenceRaceOneWinner", testExpectedSequenceRace},
	}
}

func testSequencesContiguous(t *testing.T, s store.EventStore) {
	l := newLog()
	var stored []execution.Event
	stored = append(stored, mustAppend(t, s, batch(l.created()))...)
	stored = append(stored, mustAppend(t, s, batch(l.event(execution.EventStarted, ""), l.progress(1), l.progress(2)))...)
	stored = append(stored, mustAppend(t, s, batch(l.progress(3)))...)
	stored = append(stored, mustAppend(t, s, batch(l.progress(4), l.event(execution.EventCompleted, "")))...)
	for i, ev := range stored {
		if ev.Sequence != uint64(i+1) {
			t.Errorf("Append returned event %d (%s) with sequence %d, want %d", i, ev.EventType, ev.Sequence, i+1)
		}
	}
	got := mustEvents(t, s, l.id, 0)
	if d := diffLogs(stored, got); d != "" {
		t.Fatalf("Events differs from what Append returned: %s", d)
	}
}

func testPerExecutionOrder(t *testing.T, s store.EventStore) {
	logs := []*logBuilder{newLog(), newLog(), newLog()}
	want := make([][]execution.Event, len(logs))
	for i, l := range logs {
		want[i] = mustAppend(t, s, batch(l.created()))
	}
	// Interleave the executions so each one's events are spread through the
	// store's global order.
	for round := range 5 {
		for i, l := range logs {
			want[i] = append(want[i], mustAppend(t, s, batch(l.progress(round)))...)
		}
	}
	for i, l := range logs {
		got := mustEvents(t, s, l.id, 0)
		if d := diffLogs(want[i], got); d != "" {
			t.Errorf("execution %d: %s", i, d)
		}
		for j, ev := range got {
			if ev.Sequence != uint64(j+1) {
				t.Errorf("execution %d event %d: sequence %d, want %d", i, j, ev.Sequence, j+1)
			}
		}
	}
}

func testPositionIncreasing(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	var returned []execution.Event
	returned = append(returned, mustAppend(t, s, batch(a.created()))...)
	returned = append(returned, mustAppend(t, s, batch(b.created(), b.progress(1)))...)
	returned = append(returned, mustAppend(t, s, batch(a.progress(1)))...)
	returned = append(returned, mustAppend(t, s, batch(b.progress(2), b.progress(3)))...)
	var last uint64
	for i, ev := range returned {
		if ev.Position == 0 {
			t.Fatalf("event %d (%s) returned with no position", i, ev.EventType)
		}
		if ev.Position <= last {
			t.Fatalf("event %d has position %d after %d: positions must increase store-wide in append order", i, ev.Position, last)
		}
		last = ev.Position
	}
	for _, l := range []*logBuilder{a, b} {
		for _, ev := range mustEvents(t, s, l.id, 0) {
			found := false
			for _, r := range returned {
				if r.ID == ev.ID {
					found = r.Position == ev.Position
				}
			}
			if !found {
				t.Errorf("event %s is read with position %d, not the one Append returned", ev.ID, ev.Position)
			}
		}
	}
}

func testBatchAtomic(t *testing.T, s store.EventStore) {
	l := newLog()
	bad := l.event("exploded", "")
	err := mustFail(t, s, batch(l.created(), l.event(execution.EventStarted, ""), bad), store.AppendOptions{}, store.ErrInvalid)
	if !strings.Contains(err.Error(), "exploded") {
		t.Errorf("error %q does not name the unknown event type", err)
	}
	if _, err := s.Execution(t.Context(), l.id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a rejected first batch, Execution = %v, want ErrNotFound", err)
	}
	if _, err := s.LatestEvent(t.Context(), l.id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a rejected first batch, LatestEvent = %v, want ErrNotFound", err)
	}
	// The whole batch, fixed, is accepted and numbered from 1.
	out := mustAppend(t, s, batch(l.created(), l.event(execution.EventStarted, ""), l.progress(1)))
	if out[0].Sequence != 1 || out[2].Sequence != 3 {
		t.Errorf("sequences %d..%d, want 1..3", out[0].Sequence, out[2].Sequence)
	}
	// A multi-event batch lands together or not at all on an existing log.
	mustFail(t, s, batch(l.progress(2), l.progress(3), l.createdAs(execution.Created{Kind: execution.KindBlock})), store.AppendOptions{}, store.ErrInvalid)
}

func testFillsIDAndTimestamp(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	a, b := l.progress(1), l.progress(2)
	a.ID, b.ID = uuid.Nil, uuid.Nil
	a.Timestamp, b.Timestamp = time.Time{}, time.Time{}
	before := time.Now()
	out := mustAppend(t, s, batch(a, b))
	after := time.Now()
	if out[0].ID == uuid.Nil || out[1].ID == uuid.Nil || out[0].ID == out[1].ID {
		t.Errorf("ids %s, %s: want two fresh, distinct ids", out[0].ID, out[1].ID)
	}
	for _, ev := range out {
		if ev.Timestamp.IsZero() {
			t.Fatalf("event %s stored without a timestamp", ev.ID)
		}
		if ev.Timestamp.Location() != time.UTC {
			t.Errorf("filled timestamp %s is not in UTC", ev.Timestamp)
		}
		if ev.Timestamp.Before(before.Add(-time.Minute)) || ev.Timestamp.After(after.Add(time.Minute)) {
			t.Errorf("filled timestamp %s is not the time of the append (%s)", ev.Timestamp, before)
		}
	}
	got := mustEvents(t, s, l.id, 1)
	if d := diffLogs(out, got); d != "" {
		t.Errorf("Events differs from what Append returned: %s", d)
	}
}

// payloads a store must keep byte for byte: odd spacing, key order, escapes
// and number spellings are the writer's business, not the store's.
var payloads = []string{
	`{"b":1,  "a" : [1, 2,3]}`,
	`"\u00e9t\u00e9 — été"`,
	`123.4500`,
	`[]`,
	`{"nested":{"deep":[{"x":null,"y":1e3}]}}`,
	`true`,
	"{\n\t\"indented\": \"yes\"\n}",
}

func testPayloadBytesIdentical(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	sub := subscribe(t, s, store.SubscribeOptions{ExecutionID: l.id, After: 1})
	big := `"` + strings.Repeat("x", 64<<10) + `"`
	for _, p := range append(payloads, big) {
		out := mustAppend(t, s, batch(l.event(execution.EventProgress, p)))
		latest, err := s.LatestEvent(t.Context(), l.id)
		if err != nil {
			t.Fatal(err)
		}
		read := mustEvents(t, s, l.id, out[0].Sequence-1)
		streamed := next(t, sub)
		for where, got := range map[string]json.RawMessage{
			"Append": out[0].Payload, "LatestEvent": latest.Payload, "Events": read[0].Payload, "Next": streamed.Payload,
		} {
			if !bytes.Equal(got, []byte(p)) {
				t.Errorf("%s payload %.80q, want %.80q", where, got, p)
			}
		}
	}
	// An event without a payload is stored with the JSON null.
	out := mustAppend(t, s, batch(l.event(execution.EventProgress, "")))
	if string(out[0].Payload) != "null" {
		t.Errorf("empty payload stored as %q, want null", out[0].Payload)
	}
	// A payload that is not JSON cannot be read back by anyone; refuse it.
	mustFail(t, s, batch(l.event(execution.EventProgress, `{"unterminated":`)), store.AppendOptions{}, store.ErrInvalid)
}

func testTimestampsPreserved(t *testing.T, s store.EventStore) {
	l := newLog()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	stamps := []time.Time{
		time.Date(2025, 1, 2, 3, 4, 5, 123456789, zone),
		time.Date(1999, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(2030, 6, 1, 0, 0, 0, 999999999, time.FixedZone("", -7*3600)),
	}
	evs := batch(l.created(), l.progress(1), l.progress(2))
	for i := range evs {
		evs[i].Timestamp = stamps[i]
	}
	out := mustAppend(t, s, evs)
	read := mustEvents(t, s, l.id, 0)
	for i, ts := range stamps {
		for where, got := range map[string]time.Time{"Append": out[i].Timestamp, "Events": read[i].Timestamp} {
			if !got.Equal(ts) {
				t.Errorf("%s: event %d timestamp %s, want %s (nanoseconds must survive)", where, i, got.Format(time.RFC3339Nano), ts.Format(time.RFC3339Nano))
			}
			if got.Location() != time.UTC {
				t.Errorf("%s: event %d timestamp %s is not in UTC", where, i, got)
			}
		}
	}
}

func testMetadataPreserved(t *testing.T, s store.EventStore) {
	l := newLog()
	ev := l.created()
	ev.Metadata = map[string]any{"team": "platform", "tags": []any{"a", "b"}, "n": 3.5, "nested": map[string]any{"ok": true}}
	ev.Executor = &execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: "agent-7", Metadata: map[string]any{"model": "m1"}}
	assigned := l.event(execution.EventExecutorAssigned, "")
	assigned.Executor = &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "alice"}
	want := []execution.Event{ev, assigned}
	mustAppend(t, s, want)
	got := mustEvents(t, s, l.id, 0)
	for i := range want {
		want[i].Timestamp = want[i].Timestamp.UTC()
		want[i].Sequence, want[i].Position = got[i].Sequence, got[i].Position
		if want[i].Payload == nil {
			want[i].Payload = json.RawMessage("null")
		}
		if d := diffEvent(want[i], got[i]); d != "" {
			t.Errorf("event %d: %s", i, d)
		}
	}
}

func testNoAliasing(t *testing.T, s store.EventStore) {
	l := newLog()
	ev := l.created()
	buf := []byte(`{"kind":"block","attempt":1}`)
	ev.Payload = buf
	ev.Metadata = map[string]any{"k": "v"}
	out := mustAppend(t, s, batch(ev))
	// The caller reuses its buffers and edits what it got back.
	copy(buf, `{"kind":"XXXXX"`)
	ev.Metadata["k"] = "changed"
	out[0].Payload[2] = 'Z'
	if out[0].Metadata != nil {
		out[0].Metadata["k"] = "changed"
	}
	read := mustEvents(t, s, l.id, 0)
	read[0].Payload[3] = 'Z'
	again := mustEvents(t, s, l.id, 0)
	if string(again[0].Payload) != `{"kind":"block","attempt":1}` {
		t.Errorf("stored payload became %q after the caller changed its own copies", again[0].Payload)
	}
	if again[0].Metadata["k"] != "v" {
		t.Errorf("stored metadata became %v after the caller changed its own copies", again[0].Metadata)
	}
}

func testCreatedFirst(t *testing.T, s store.EventStore) {
	l := newLog()
	err := mustFail(t, s, batch(l.event(execution.EventStarted, "")), store.AppendOptions{}, store.ErrInvalid)
	if !strings.Contains(err.Error(), "created") {
		t.Errorf("error %q does not say the log must start with created", err)
	}
	mustAppend(t, s, batch(l.created()))
	err = mustFail(t, s, batch(l.created()), store.AppendOptions{}, store.ErrInvalid)
	if !strings.Contains(err.Error(), "created") {
		t.Errorf("error %q does not say created may only come first", err)
	}
	fresh := newLog()
	mustFail(t, s, batch(fresh.created(), fresh.created()), store.AppendOptions{}, store.ErrInvalid)
}

func testMalformedBatches(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	mustAppend(t, s, batch(a.created()))
	mustAppend(t, s, batch(b.created()))
	dup := a.progress(1)
	noExec := a.progress(2)
	noExec.ExecutionID = uuid.Nil
	cases := []struct {
		name  string
		batch []execution.Event
	}{
		{"empty batch", nil},
		{"two executions in one batch", batch(a.progress(3), b.progress(3))},
		{"unknown event type", batch(a.event("paused", ""))},
		{"empty event type", batch(a.event("", ""))},
		{"no execution id", batch(noExec)},
		{"same id twice in one batch", batch(dup, dup)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustFail(t, s, c.batch, store.AppendOptions{}, store.ErrInvalid)
		})
	}
	if got := mustEvents(t, s, b.id, 0); len(got) != 1 {
		t.Errorf("execution b has %d events after rejected appends, want 1", len(got))
	}
}

func testExpectedSequence(t *testing.T, s store.EventStore) {
	l := newLog()
	mustFail(t, s, batch(l.created()), store.ExpectSequence(1), store.ErrConflict)
	mustAppend(t, s, batch(l.created()), store.ExpectSequence(0))
	mustAppend(t, s, batch(l.event(execution.EventStarted, ""), l.progress(1)), store.ExpectSequence(1))
	for _, stale := range []uint64{0, 1, 2, 4, 100} {
		err := mustFail(t, s, batch(l.progress(2)), store.ExpectSequence(stale), store.ErrConflict)
		if !strings.Contains(err.Error(), "3") {
			t.Errorf("conflict error %q does not report the last sequence (3)", err)
		}
	}
	out := mustAppend(t, s, batch(l.progress(2)), store.ExpectSequence(3))
	if out[0].Sequence != 4 {
		t.Errorf("sequence %d, want 4", out[0].Sequence)
	}
	// Without an expectation the append goes wherever the log ends.
	mustAppend(t, s, batch(l.progress(3)))
}

func testExpectedSequenceRace(t *testing.T, s store.EventStore) {
	const writers = 8
	for _, from := range []uint64{0, 1} {
		l := newLog()
		created := l.created()
		if from == 1 {
			mustAppend(t, s, batch(created))
		}
		start := make(chan struct{})
		errs := make(chan error, writers)
		for w := range writers {
			ev := l.event(execution.EventCompleted, "")
			if from == 0 {
				ev = created
				ev.ID = uuid.New()
			}
			_ = w
			go func() {
				<-start
				_, err := s.Append(t.Context(), batch(ev), store.ExpectSequence(from))
				errs <- err
			}()
		}
		close(start)
		wins := 0
		for range writers {
			err := <-errs
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("from %d: losing writer got %v, want ErrConflict", from, err)
			}
		}
		if wins != 1 {
			t.Errorf("from %d: %d of %d racing writers won, want exactly 1", from, wins, writers)
		}
		if got := mustEvents(t, s, l.id, 0); len(got) != int(from)+1 {
			t.Errorf("from %d: log holds %d events %s, want %d", from, len(got), describe(got), from+1)
		}
	}
}
