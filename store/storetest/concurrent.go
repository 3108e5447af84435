package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func concurrencyProperties() []property {
	return []property{
		{"Concurrent/SameExecutionNoGapsNoDuplicates", testConcurrentSameExecution},
		{"Concurrent/ManyExecutionsWithReaders", testConcurrentManyExecutions},
		{"Concurrent/RacingCreators", testRacingCreators},
	}
}

func testConcurrentSameExecution(t *testing.T, s store.EventStore) {
	const writers, perWriter = 6, 30
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	var wg sync.WaitGroup
	ids := make(chan uuid.UUID, writers*perWriter*2)
	for w := range writers {
		// Prepare the events up front: logBuilder is not safe for
		// concurrent use, the store is.
		var evs [][]execution.Event
		for i := range perWriter {
			if i%3 == 0 {
				evs = append(evs, batch(l.progress(w*1000+i), l.progress(w*1000+i+500)))
			} else {
				evs = append(evs, batch(l.progress(w*1000+i)))
			}
		}
		wg.Go(func() {
			for _, b := range evs {
				out, err := s.Append(context.Background(), b, store.AppendOptions{})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if len(out) == 2 && out[1].Sequence != out[0].Sequence+1 {
					t.Errorf("a two-event batch got sequences %d and %d: batches must stay contiguous", out[0].Sequence, out[1].Sequence)
				}
				for _, ev := range out {
					ids <- ev.ID
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	appended := map[uuid.UUID]bool{}
	for id := range ids {
		appended[id] = true
	}
	got := mustEvents(t, s, l.id, 0)
	if len(got) != len(appended)+1 {
		t.Fatalf("log holds %d events, want %d", len(got), len(appended)+1)
	}
	var lastPos uint64
	for i, ev := range got {
		if ev.Sequence != uint64(i+1) {
			t.Fatalf("event %d has sequence %d: sequences must be 1..n without gaps", i, ev.Sequence)
		}
		if ev.Position <= lastPos {
			t.Fatalf("event %d has position %d after %d", i, ev.Position, lastPos)
		}
		lastPos = ev.Position
		if i > 0 && !appended[ev.ID] {
			t.Fatalf("event %s is stored but no writer appended it (or it is stored twice)", ev.ID)
		}
		delete(appended, ev.ID)
	}
}

func testConcurrentManyExecutions(t *testing.T, s store.EventStore) {
	const writers, perWriter = 6, 25
	logs := make([]*logBuilder, writers)
	ids := make([]uuid.UUID, writers)
	for w := range writers {
		logs[w] = newLog()
		ids[w] = logs[w].id
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	// Readers run beside the writers so the race detector sees them meet.
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.ListExecutions(context.Background(), store.Filter{OpenOnly: true}); err != nil {
				t.Errorf("ListExecutions: %v", err)
				return
			}
			for _, id := range ids {
				evs, err := s.Events(context.Background(), id, 0)
				if err != nil {
					t.Errorf("Events: %v", err)
					return
				}
				for i, ev := range evs {
					if ev.Sequence != uint64(i+1) {
						t.Errorf("a reader saw sequence %d at index %d while writers ran", ev.Sequence, i)
						return
					}
				}
			}
		}
	})
	for w := range writers {
		l := logs[w]
		evs := []execution.Event{l.created()}
		for i := 1; i < perWriter-1; i++ {
			evs = append(evs, l.progress(i))
		}
		evs = append(evs, l.event(execution.EventCompleted, ""))
		wg.Go(func() {
			for _, ev := range evs {
				if _, err := s.Append(context.Background(), batch(ev), store.AppendOptions{}); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	positions := map[uint64]uuid.UUID{}
	for _, l := range logs {
		got := mustEvents(t, s, l.id, 0)
		if len(got) != perWriter {
			t.Fatalf("execution %s holds %d events, want %d", l.id, len(got), perWriter)
		}
		for i, ev := range got {
			if ev.Sequence != uint64(i+1) {
				t.Fatalf("execution %s event %d has sequence %d", l.id, i, ev.Sequence)
			}
			if other, dup := positions[ev.Position]; dup {
				t.Fatalf("position %d given to events %s and %s", ev.Position, other, ev.ID)
			}
			positions[ev.Position] = ev.ID
		}
	}
	if open := listIDs(t, s, store.Filter{OpenOnly: true}); len(open) != 0 {
		t.Errorf("%d executions still open after every one completed", len(open))
	}
	all := listIDs(t, s, store.Filter{})
	for _, l := range logs {
		if !slices.Contains(all, l.id) {
			t.Errorf("execution %s missing from ListExecutions", l.id)
		}
	}
}

func testRacingCreators(t *testing.T, s store.EventStore) {
	// Two hosts that both think they should create the same execution:
	// one created event is stored, the other is refused.
	const racers = 6
	l := newLog()
	start := make(chan struct{})
	errs := make(chan error, racers)
	for range racers {
		ev := l.created()
		ev.ExecutionID = l.id
		go func() {
			<-start
			_, err := s.Append(context.Background(), batch(ev), store.AppendOptions{})
			errs <- err
		}()
	}
	close(start)
	ok := 0
	for range racers {
		if err := <-errs; err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing created events were stored, want 1", ok, racers)
	}
	if got := mustEvents(t, s, l.id, 0); len(got) != 1 {
		t.Errorf("log holds %d events, want 1", len(got))
	}
}
