package storetest

import (
	"context"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Bench measures the operations whose cost a host feels on every block:
// appending one event, appending a batch of five, reading an execution's
// ten events, reading its latest event, and appending from many goroutines
// at once. newStore must return a fresh, empty store; Bench closes it.
//
// Event ids and payloads are prepared before the timer starts, so the
// figures are the store's own cost.
func Bench(b *testing.B, newStore func(b *testing.B) store.EventStore) {
	b.Run("append/events=1", func(b *testing.B) { benchAppend(b, newStore(b), 1) })
	b.Run("append/events=5", func(b *testing.B) { benchAppend(b, newStore(b), 5) })
	b.Run("append/parallel", func(b *testing.B) { benchAppendParallel(b, newStore(b)) })
	b.Run("read/events=10", func(b *testing.B) { benchRead(b, newStore(b)) })
	b.Run("read/latest", func(b *testing.B) { benchLatest(b, newStore(b)) })
}

// benchAppend appends batches of size events to one execution.
func benchAppend(b *testing.B, s store.EventStore, size int) {
	defer s.Close()
	ctx := context.Background()
	l := newLog()
	if _, err := s.Append(ctx, batch(l.created()), store.AppendOptions{}); err != nil {
		b.Fatal(err)
	}
	batches := make([][]execution.Event, b.N)
	for i := range batches {
		batches[i] = make([]execution.Event, size)
		for j := range size {
			batches[i][j] = l.progress(j)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Append(ctx, batches[i], store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}

// benchAppendParallel gives every goroutine its own execution, as the
// plugins of a busy host do.
func benchAppendParallel(b *testing.B, s store.EventStore) {
	defer s.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		l := newLog()
		if _, err := s.Append(ctx, batch(l.created()), store.AppendOptions{}); err != nil {
			b.Error(err)
			return
		}
		i := 0
		for pb.Next() {
			if _, err := s.Append(ctx, batch(l.progress(i)), store.AppendOptions{}); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// tenEventLog stores one execution of ten events beside 1,000 others, so a
// read has to find its execution among many.
func tenEventLog(b *testing.B, s store.EventStore) *logBuilder {
	ctx := context.Background()
	for range 1000 {
		o := newLog()
		if _, err := s.Append(ctx, batch(o.created(), o.progress(1)), store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	l := newLog()
	evs := []execution.Event{l.created(), l.event(execution.EventStarted, "")}
	for i := range 7 {
		evs = append(evs, l.progress(i))
	}
	evs = append(evs, l.event(execution.EventCompleted, `{"ok":true}`))
	if _, err := s.Append(ctx, evs, store.AppendOptions{}); err != nil {
		b.Fatal(err)
	}
	return l
}

func benchRead(b *testing.B, s store.EventStore) {
	defer s.Close()
	ctx := context.Background()
	l := tenEventLog(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		evs, err := s.Events(ctx, l.id, 0)
		if err != nil || len(evs) != 10 {
			b.Fatalf("Events = %d events, %v", len(evs), err)
		}
	}
}

func benchLatest(b *testing.B, s store.EventStore) {
	defer s.Close()
	ctx := context.Background()
	l := tenEventLog(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.LatestEvent(ctx, l.id); err != nil {
			b.Fatal(err)
		}
	}
}
