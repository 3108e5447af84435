package storetest

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func idempotencyProperties() []property {
	return []property{
		{"Idempotency/RetryReturnsStoredEvents", testRetryReturnsStored},
		{"Idempotency/RetryOfOlderBatch", testRetryOlderBatch},
		{"Idempotency/RetryWinsOverStaleExpectation", testRetryWinsOverExpectation},
		{"Idempotency/RetryAfterTerminal", testRetryAfterTerminal},
		{"Idempotency/PartialOverlapRejected", testPartialOverlap},
		{"Idempotency/StoredIDForAnotherExecution", testIDOfAnotherExecution},
		{"Idempotency/RetryPublishesNothing", testRetryPublishesNothing},
	}
}

func testRetryReturnsStored(t *testing.T, s store.EventStore) {
	l := newLog()
	first := batch(l.created(), l.event(execution.EventStarted, ""))
	first[1].Timestamp = first[1].Timestamp.In(utcPlus2) // stored in UTC; the retry still matches
	stored := mustAppend(t, s, first)
	again := mustAppend(t, s, first)
	if d := diffLogs(stored, again); d != "" {
		t.Errorf("retry returned different events: %s", d)
	}
	if got := mustEvents(t, s, l.id, 0); len(got) != 2 {
		t.Errorf("after a retry the log holds %d events %s, want 2", len(got), describe(got))
	}
	// Retrying a single event of the batch is a retry too.
	one := mustAppend(t, s, first[1:])
	if d := diffEvent(stored[1], one[0]); d != "" {
		t.Errorf("retry of one event: %s", d)
	}
}

func testRetryOlderBatch(t *testing.T, s store.EventStore) {
	l := newLog()
	old := batch(l.created(), l.progress(1))
	stored := mustAppend(t, s, old)
	mustAppend(t, s, batch(l.progress(2), l.progress(3)))
	again := mustAppend(t, s, old)
	if d := diffLogs(stored, again); d != "" {
		t.Errorf("late retry returned different events: %s", d)
	}
	if got := mustEvents(t, s, l.id, 0); len(got) != 4 {
		t.Errorf("log holds %d events, want 4", len(got))
	}
}

func testRetryWinsOverExpectation(t *testing.T, s store.EventStore) {
	// A writer appends with an expectation, loses the reply, and retries
	// with the same expectation, which is now stale. The retry must report
	// success: its events are stored.
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	b := batch(l.progress(1))
	stored := mustAppend(t, s, b, store.ExpectSequence(1))
	again := mustAppend(t, s, b, store.ExpectSequence(1))
	if d := diffLogs(stored, again); d != "" {
		t.Errorf("retry returned different events: %s", d)
	}
}

func testRetryAfterTerminal(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	done := batch(l.event(execution.EventCompleted, `{"ok":true}`))
	stored := mustAppend(t, s, done)
	again := mustAppend(t, s, done)
	if d := diffLogs(stored, again); d != "" {
		t.Errorf("retry of the terminal event returned different events: %s", d)
	}
}

func testPartialOverlap(t *testing.T, s store.EventStore) {
	l := newLog()
	created := l.created()
	mustAppend(t, s, batch(created))
	p1 := l.progress(1)
	mustAppend(t, s, batch(p1))
	mustFail(t, s, batch(p1, l.progress(2)), store.AppendOptions{}, store.ErrInvalid)
	fresh := l.progress(3)
	fresh.ID = uuid.Nil
	mustFail(t, s, batch(fresh, p1), store.AppendOptions{}, store.ErrInvalid)
}

func testIDOfAnotherExecution(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	mustAppend(t, s, batch(a.created()))
	mustAppend(t, s, batch(b.created()))
	p := a.progress(1)
	mustAppend(t, s, batch(p))
	stolen := p
	stolen.ExecutionID = b.id
	mustFail(t, s, batch(stolen), store.AppendOptions{}, store.ErrInvalid)
	if got := mustEvents(t, s, a.id, 0); len(got) != 2 {
		t.Errorf("execution a holds %d events, want 2", len(got))
	}
}

func testRetryPublishesNothing(t *testing.T, s store.EventStore) {
	l, marker := newLog(), newLog()
	b := batch(l.created(), l.progress(1))
	stored := mustAppend(t, s, b)
	sub := subscribe(t, s, store.SubscribeOptions{After: stored[1].Position})
	mustAppend(t, s, b)
	// A rejected append publishes nothing either.
	if _, err := s.Append(t.Context(), batch(l.created()), store.AppendOptions{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("second created = %v, want ErrInvalid", err)
	}
	m := mustAppend(t, s, batch(marker.created()))
	if got := next(t, sub); got.ID != m[0].ID {
		t.Errorf("subscriber received %s %s, want only the marker %s: a retried or rejected append was published",
			got.EventType, got.ID, m[0].ID)
	}
}
