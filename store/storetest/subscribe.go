package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func subscriptionProperties() []property {
	return []property{
		{"Subscribe/AllFromStart", testSubscribeAllFromStart},
		{"Subscribe/AllFromPosition", testSubscribeAllFromPosition},
		{"Subscribe/OneExecutionFromStart", testSubscribeOneFromStart},
		{"Subscribe/OneExecutionFromSequence", testSubscribeOneFromSequence},
		{"Subscribe/ExecutionNotYetCreated", testSubscribeBeforeCreated},
		{"Subscribe/ConcurrentAppendersExactlyOnceInOrder", testSubscribeConcurrent},
		{"Subscribe/SlowSubscriberNeverBlocksAppenders", testSlowSubscriber},
		{"Subscribe/NextHonoursContext", testNextContext},
		{"Subscribe/CloseUnblocksNext", testSubscriptionClose},
		{"Subscribe/StoreCloseUnblocksNext", testStoreCloseUnblocksNext},
	}
}

// expectStream reads len(want) events and compares them with want.
func expectStream(t *testing.T, sub store.Subscription, want []execution.Event) {
	t.Helper()
	for i, w := range want {
		got := next(t, sub)
		if d := diffEvent(w, got); d != "" {
			t.Fatalf("delivery %d: %s", i, d)
		}
	}
}

func testSubscribeAllFromStart(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	var want []execution.Event
	want = append(want, mustAppend(t, s, batch(a.created(), a.progress(1)))...)
	sub := subscribe(t, s, store.SubscribeOptions{})
	want = append(want, mustAppend(t, s, batch(b.created()))...)
	want = append(want, mustAppend(t, s, batch(a.progress(2)))...)
	want = append(want, mustAppend(t, s, batch(b.event(execution.EventCompleted, "")))...)
	expectStream(t, sub, want)
	// Events that arrive while the subscriber waits are delivered too.
	got := make(chan execution.Event, 1)
	go func() {
		ev, err := sub.Next(t.Context())
		if err != nil {
			t.Errorf("Next: %v", err)
		}
		got <- ev
	}()
	late := mustAppend(t, s, batch(a.progress(3)))
	select {
	case ev := <-got:
		if d := diffEvent(late[0], ev); d != "" {
			t.Errorf("waiting Next: %s", d)
		}
	case <-time.After(waitLimit):
		t.Fatalf("a waiting Next was not woken by an append within %s", waitLimit)
	}
}

func testSubscribeAllFromPosition(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	first := mustAppend(t, s, batch(a.created(), a.progress(1)))
	second := mustAppend(t, s, batch(b.created(), b.progress(1)))
	rest := mustAppend(t, s, batch(a.progress(2)))
	sub := subscribe(t, s, store.SubscribeOptions{After: first[1].Position})
	expectStream(t, sub, append(append([]execution.Event{}, second...), rest...))
	// A subscription after the last position waits for the next append.
	tail := subscribe(t, s, store.SubscribeOptions{After: rest[0].Position})
	more := mustAppend(t, s, batch(b.progress(2)))
	expectStream(t, tail, more)
}

func testSubscribeOneFromStart(t *testing.T, s store.EventStore) {
	a, b := newLog(), newLog()
	var want []execution.Event
	want = append(want, mustAppend(t, s, batch(a.created()))...)
	mustAppend(t, s, batch(b.created()))
	sub := subscribe(t, s, store.SubscribeOptions{ExecutionID: a.id})
	mustAppend(t, s, batch(b.progress(1)))
	want = append(want, mustAppend(t, s, batch(a.progress(1), a.progress(2)))...)
	mustAppend(t, s, batch(b.progress(2)))
	want = append(want, mustAppend(t, s, batch(a.event(execution.EventCompleted, "")))...)
	expectStream(t, sub, want)
}

func testSubscribeOneFromSequence(t *testing.T, s store.EventStore) {
	a := newLog()
	stored := mustAppend(t, s, batch(a.created(), a.event(execution.EventStarted, ""), a.progress(1), a.progress(2)))
	sub := subscribe(t, s, store.SubscribeOptions{ExecutionID: a.id, After: 2})
	more := mustAppend(t, s, batch(a.event(execution.EventCompleted, "")))
	expectStream(t, sub, append(stored[2:], more...))
}

func testSubscribeBeforeCreated(t *testing.T, s store.EventStore) {
	a := newLog()
	sub := subscribe(t, s, store.SubscribeOptions{ExecutionID: a.id})
	want := mustAppend(t, s, batch(a.created(), a.progress(1)))
	expectStream(t, sub, want)
}

func testSubscribeConcurrent(t *testing.T, s store.EventStore) {
	const writers, perWriter = 4, 40
	all := subscribe(t, s, store.SubscribeOptions{})
	logs := make([]*logBuilder, writers)
	one := make([]store.Subscription, writers)
	for w := range writers {
		logs[w] = newLog()
		one[w] = subscribe(t, s, store.SubscribeOptions{ExecutionID: logs[w].id})
	}
	start := make(chan struct{})
	appended := make(chan []execution.Event, writers)
	for w := range writers {
		l := logs[w]
		go func() {
			<-start
			var mine []execution.Event
			for i := range perWriter {
				b := batch(l.progress(i))
				if i == 0 {
					b = batch(l.created())
				}
				out, err := s.Append(context.Background(), b, store.AppendOptions{})
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					break
				}
				mine = append(mine, out...)
			}
			appended <- mine
		}()
	}
	close(start)
	byID := map[uuid.UUID]execution.Event{}
	written := make([][]execution.Event, writers)
	for range writers {
		mine := <-appended
		if len(mine) > 0 {
			for w, l := range logs {
				if mine[0].ExecutionID == l.id {
					written[w] = mine
				}
			}
		}
		for _, ev := range mine {
			byID[ev.ID] = ev
		}
	}
	// The all-executions subscription sees every event exactly once, in
	// position order.
	var last uint64
	seen := map[uuid.UUID]bool{}
	for range writers * perWriter {
		ev := next(t, all)
		if seen[ev.ID] {
			t.Fatalf("event %s delivered twice", ev.ID)
		}
		seen[ev.ID] = true
		if ev.Position <= last {
			t.Fatalf("position %d delivered after %d", ev.Position, last)
		}
		last = ev.Position
		if d := diffEvent(byID[ev.ID], ev); d != "" {
			t.Fatalf("delivered event differs from the appended one: %s", d)
		}
	}
	// Each one-execution subscription sees its log in sequence order.
	for w := range writers {
		expectStream(t, one[w], written[w])
	}
}

func testSlowSubscriber(t *testing.T, s store.EventStore) {
	const appends = 1000
	l := newLog()
	sub := subscribe(t, s, store.SubscribeOptions{})
	one := subscribe(t, s, store.SubscribeOptions{ExecutionID: l.id})
	var stored []execution.Event
	// Nobody reads the subscriptions while the appends run.
	within(t, "1000 appends with an idle subscriber", func() {
		for i := range appends {
			b := batch(l.progress(i))
			if i == 0 {
				b = batch(l.created())
			}
			out, err := s.Append(context.Background(), b, store.AppendOptions{})
			if err != nil {
				t.Errorf("append %d: %v", i, err)
				return
			}
			stored = append(stored, out...)
		}
	})
	expectStream(t, sub, stored)
	expectStream(t, one, stored)
}

func testNextContext(t *testing.T, s store.EventStore) {
	a := newLog()
	sub := subscribe(t, s, store.SubscribeOptions{ExecutionID: a.id})
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := sub.Next(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Next(cancelled ctx) with nothing to read = %v, want context.Canceled", err)
	}
	short, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	within(t, "Next with a 20ms deadline", func() {
		if _, err := sub.Next(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next(expired ctx) = %v, want context.DeadlineExceeded", err)
		}
	})
	// Cancelling while Next waits returns promptly.
	waiting, cancel3 := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(waiting)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel3()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next cancelled while waiting = %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("cancelling ctx did not unblock Next")
	}
	// A cancelled Next loses nothing: the subscription resumes where it was.
	want := mustAppend(t, s, batch(a.created(), a.progress(1)))
	expectStream(t, sub, want)
}

func testSubscriptionClose(t *testing.T, s store.EventStore) {
	sub, err := s.Subscribe(t.Context(), store.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := sub.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("Next after the subscription closed = %v, want ErrClosed", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("closing the subscription did not unblock Next")
	}
	if _, err := sub.Next(t.Context()); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Next on a closed subscription = %v, want ErrClosed", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	// The store is unaffected.
	l := newLog()
	mustAppend(t, s, batch(l.created()))
}

func testStoreCloseUnblocksNext(t *testing.T, s store.EventStore) {
	sub, err := s.Subscribe(t.Context(), store.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("Next after the store closed = %v, want ErrClosed", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("closing the store did not unblock Next")
	}
}
