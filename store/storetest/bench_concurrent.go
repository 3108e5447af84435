package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// BenchAppenders appends b.N single-event batches spread over appenders
// goroutines, each on its own execution (as a busy host's plugins do), and
// reports events/s and per-append latency p50/p99. One op is one Append.
// Events are built before the timer starts, so the figures are the
// store's cost.
func BenchAppenders(b *testing.B, s store.EventStore, appenders int) {
	ctx := context.Background()
	logs := make([]*logBuilder, appenders)
	for i := range logs {
		logs[i] = newLog()
		if _, err := s.Append(ctx, batch(logs[i].created()), store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	work := make([][]execution.Event, appenders)
	for i := range b.N {
		w := i % appenders
		work[w] = append(work[w], logs[w].progress(i))
	}
	runConcurrently(b, appenders, func(w int) (int, error) {
		if len(work[w]) == 0 {
			return 0, nil
		}
		ev := work[w][0]
		work[w] = work[w][1:]
		_, err := s.Append(ctx, batch(ev), store.AppendOptions{})
		return 1, err
	}, func(w int) int { return len(work[w]) })
}

// BenchReaders reads an execution's ten events (Events from the start)
// b.N times, spread over readers goroutines, from a store that holds
// 1,000 other executions. It reports reads/s and latency p50/p99.
func BenchReaders(b *testing.B, s store.EventStore, readers int) {
	ctx := context.Background()
	l := tenEventLog(b, s)
	per := make([]int, readers)
	for i := range b.N {
		per[i%readers]++
	}
	runConcurrently(b, readers, func(w int) (int, error) {
		per[w]--
		evs, err := s.Events(ctx, l.id, 0)
		if err == nil && len(evs) != 10 {
			b.Errorf("Events = %d events, want 10", len(evs))
		}
		return 1, err
	}, func(w int) int { return per[w] })
}

// runConcurrently runs op on workers goroutines until left(w) is 0 for
// each, timing every call, and reports ops/s and latency percentiles.
func runConcurrently(b *testing.B, workers int, op func(w int) (int, error), left func(w int) int) {
	latencies := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for w := range workers {
		wg.Go(func() {
			for left(w) > 0 {
				start := time.Now()
				if _, err := op(w); err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], time.Since(start))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "ops/s")
}
