package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// property is one behaviour every store must show.
type property struct {
	name string
	test func(t *testing.T, s store.EventStore)
}

// properties lists the suite, grouped by the part of the contract they
// check; each group lives in its own file.
func properties() []property {
	var all []property
	all = append(all, appendProperties()...)
	all = append(all, idempotencyProperties()...)
	all = append(all, finalityProperties()...)
	all = append(all, readProperties()...)
	all = append(all, listProperties()...)
	all = append(all, subscriptionProperties()...)
	all = append(all, subscribeConcurrentProperties()...)
	all = append(all, leaseProperties()...)
	all = append(all, concurrencyProperties()...)
	all = append(all, closeProperties()...)
	all = append(all, linearizabilityProperties()...)
	return all
}

// Run checks that the stores newStore opens behave as store.EventStore
// requires. newStore must return a fresh, empty store each time it is
// called; Run closes it when the subtest that asked for it ends.
func Run(t *testing.T, newStore func(t *testing.T) store.EventStore) {
	t.Helper()
	for _, p := range properties() {
		t.Run(p.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			p.test(t, s)
		})
	}
}

// waitLimit bounds every wait in the suite. It is not a performance
// assertion: it turns a deadlock into a clear failure instead of a hung
// test binary.
const waitLimit = 30 * time.Second

// base is the first timestamp the suite's events carry; later events are
// stamped a millisecond apart so "oldest first" is unambiguous.
var base = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

// logBuilder makes the events of one execution in order.
type logBuilder struct {
	id    uuid.UUID
	clock time.Time
}

func newLog() *logBuilder { return &logBuilder{id: uuid.New(), clock: base} }

func (l *logBuilder) event(typ execution.EventType, payload string) execution.Event {
	l.clock = l.clock.Add(time.Millisecond)
	var raw json.RawMessage
	if payload != "" {
		raw = json.RawMessage(payload)
	}
	return execution.Event{
		ID:          uuid.New(),
		Timestamp:   l.clock,
		ExecutionID: l.id,
		EventType:   typ,
		Payload:     raw,
	}
}

// created is a block execution's created event.
func (l *logBuilder) created() execution.Event {
	return l.createdAs(execution.Created{Kind: execution.KindBlock, WorkBlockID: uuid.New(), WorkBlockVersion: 1, Attempt: 1})
}

func (l *logBuilder) createdAs(c execution.Created) execution.Event {
	raw, err := json.Marshal(c)
	if err != nil {
		panic(err) // a Created always encodes
	}
	return l.event(execution.EventCreated, string(raw))
}

func (l *logBuilder) progress(n int) execution.Event {
	return l.event(execution.EventProgress, fmt.Sprintf(`{"step":%d}`, n))
}

// administrative is a progress event that may follow a terminal event.
func (l *logBuilder) administrative(typ execution.EventType) execution.Event {
	ev := l.event(typ, `{"note":"audit"}`)
	ev.Metadata = map[string]any{execution.MetadataAdministrative: true}
	return ev
}

// batch is shorthand for a list of events.
func batch(evs ...execution.Event) []execution.Event { return evs }

// mustAppend appends and fails the test on error.
func mustAppend(t *testing.T, s store.EventStore, evs []execution.Event, opts ...store.AppendOptions) []execution.Event {
	t.Helper()
	var o store.AppendOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	out, err := s.Append(t.Context(), evs, o)
	if err != nil {
		t.Fatalf("Append(%s): %v", describe(evs), err)
	}
	if len(out) != len(evs) {
		t.Fatalf("Append(%s) returned %d events, want %d", describe(evs), len(out), len(evs))
	}
	return out
}

// mustFail appends, expects an error matching want, and checks that the
// execution's log did not change.
func mustFail(t *testing.T, s store.EventStore, evs []execution.Event, opts store.AppendOptions, want error) error {
	t.Helper()
	var execID uuid.UUID
	if len(evs) > 0 {
		execID = evs[0].ExecutionID
	}
	before := mustEvents(t, s, execID, 0)
	_, err := s.Append(t.Context(), evs, opts)
	if !errors.Is(err, want) {
		t.Fatalf("Append(%s) = %v, want %v", describe(evs), err, want)
	}
	if err.Error() == want.Error() {
		t.Errorf("Append(%s) error %q carries no context: say which execution and why", describe(evs), err)
	}
	after := mustEvents(t, s, execID, 0)
	if d := diffLogs(before, after); d != "" {
		t.Fatalf("rejected Append(%s) changed the stored log: %s", describe(evs), d)
	}
	return err
}

func mustEvents(t *testing.T, s store.EventStore, id uuid.UUID, after uint64) []execution.Event {
	t.Helper()
	evs, err := s.Events(t.Context(), id, after)
	if err != nil {
		t.Fatalf("Events(%s, %d): %v", id, after, err)
	}
	return evs
}

func describe(evs []execution.Event) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, ev := range evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(ev.EventType))
	}
	b.WriteByte(']')
	return b.String()
}

// diffEvent describes how got differs from want, or returns "". Metadata
// and executor are compared as JSON, since a store may keep them encoded.
func diffEvent(want, got execution.Event) string {
	switch {
	case got.ID != want.ID:
		return fmt.Sprintf("id %s, want %s", got.ID, want.ID)
	case got.ExecutionID != want.ExecutionID:
		return fmt.Sprintf("event %s: execution_id %s, want %s", want.ID, got.ExecutionID, want.ExecutionID)
	case got.EventType != want.EventType:
		return fmt.Sprintf("event %s: type %s, want %s", want.ID, got.EventType, want.EventType)
	case !got.Timestamp.Equal(want.Timestamp):
		return fmt.Sprintf("event %s: timestamp %s, want %s", want.ID, got.Timestamp.Format(time.RFC3339Nano), want.Timestamp.Format(time.RFC3339Nano))
	case !bytes.Equal(got.Payload, want.Payload):
		return fmt.Sprintf("event %s: payload %q, want %q", want.ID, got.Payload, want.Payload)
	case got.Sequence != want.Sequence:
		return fmt.Sprintf("event %s: sequence %d, want %d", want.ID, got.Sequence, want.Sequence)
	case got.Position != want.Position:
		return fmt.Sprintf("event %s: position %d, want %d", want.ID, got.Position, want.Position)
	}
	if g, w := jsonOf(got.Metadata), jsonOf(want.Metadata); g != w {
		return fmt.Sprintf("event %s: metadata %s, want %s", want.ID, g, w)
	}
	if g, w := executorJSON(got.Executor), executorJSON(want.Executor); g != w {
		return fmt.Sprintf("event %s: executor %s, want %s", want.ID, g, w)
	}
	return ""
}

func diffLogs(want, got []execution.Event) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d events %s, want %d %s", len(got), describe(got), len(want), describe(want))
	}
	for i := range want {
		if d := diffEvent(want[i], got[i]); d != "" {
			return fmt.Sprintf("event %d: %s", i, d)
		}
	}
	return ""
}

// executorJSON encodes x with nil metadata written as {}, the way
// execution.Event's canonical JSON writes it.
func executorJSON(x *execution.ExecutorInfo) string {
	if x == nil {
		return "null"
	}
	c := *x
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	return jsonOf(c)
}

func jsonOf(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// within runs fn and fails the test if it has not returned after waitLimit.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not finish within %s: the store is blocked", what, waitLimit)
	}
}

// next reads one event from sub, failing the test if none arrives in time.
func next(t *testing.T, sub store.Subscription) execution.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	ev, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

func subscribe(t *testing.T, s store.EventStore, opts store.SubscribeOptions) store.Subscription {
	t.Helper()
	sub, err := s.Subscribe(t.Context(), opts)
	if err != nil {
		t.Fatalf("Subscribe(%+v): %v", opts, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// utcPlus2 is a zone other than UTC, for timestamps a store must convert.
var utcPlus2 = time.FixedZone("UTC+2", 2*3600)
