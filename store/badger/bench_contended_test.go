package badger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// BenchmarkAppendContended is optimistic concurrency under contention:
// appenders that all write one execution, each reading the last sequence
// and appending with it as the expectation, and reading again after a
// conflict — what racing executors do. One op is one stored append.
// Refusals are answered only after the commit they were judged against
// (issue 9), so a refused appender's next read sees the append that beat
// it. Metrics: stored appends/s and conflicts per stored append.
func BenchmarkAppendContended(b *testing.B) {
	for _, mode := range []badger.Durability{badger.DurabilitySync, badger.DurabilityAsync} {
		for _, appenders := range []int{4, 16} {
			b.Run(fmt.Sprintf("%s/appenders=%d", mode, appenders), func(b *testing.B) {
				benchContended(b, openTemp(b, badger.Options{Durability: mode}), appenders)
			})
		}
	}
}

func benchContended(b *testing.B, s *badger.Store, appenders int) {
	ctx := context.Background()
	l := newTestLog()
	if _, err := s.Append(ctx, []execution.Event{l.created()}, store.AppendOptions{}); err != nil {
		b.Fatal(err)
	}
	events := make(chan execution.Event, b.N)
	for i := range b.N {
		events <- l.progress(i)
	}
	close(events)
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range appenders {
		wg.Go(func() {
			for ev := range events {
				if err := appendExpecting(ctx, s, ev, &conflicts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/append")
}

// appendExpecting appends ev at the execution's current end, reading the
// end again after every conflict.
func appendExpecting(ctx context.Context, s *badger.Store, ev execution.Event, conflicts *atomic.Int64) error {
	for {
		last, err := s.LatestEvent(ctx, ev.ExecutionID)
		if err != nil {
			return err
		}
		_, err = s.Append(ctx, []execution.Event{ev}, store.ExpectSequence(last.Sequence))
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		conflicts.Add(1)
	}
}
