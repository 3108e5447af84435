package badger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/storetest"
)

// BenchmarkFsyncFloor is the physical floor on this filesystem: one 4 KiB
// write followed by fsync, in a loop, in the benchmark's temporary
// directory (the same filesystem the stores below use).
func BenchmarkFsyncFloor(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "floor"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.Write(page); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// BenchmarkAppend appends single events from 1, 16 and 256 concurrent
// appenders (each with its own execution, as plugins do), in sync and
// async mode. One op is one Append. Metrics: events/s, appends per commit
// (= per fsync in sync mode), and per-append latency p50/p99.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []badger.Durability{badger.DurabilitySync, badger.DurabilityAsync} {
		for _, appenders := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/appenders=%d", mode, appenders), func(b *testing.B) {
				s := openTemp(b, badger.Options{Durability: mode})
				var before badger.Stats
				benchAppenders(b, appenders, func(ctx context.Context, evs []execution.Event) error {
					_, err := s.Append(ctx, evs, store.AppendOptions{})
					return err
				}, func() { before = s.Stats() }, func() {
					st := s.Stats()
					b.ReportMetric(float64(st.Appends-before.Appends)/float64(st.Commits-before.Commits), "appends/fsync")
				})
			})
		}
	}
}

// BenchmarkBadgerOneTxnPerEvent is the baseline the issue names: plain
// Badger, sync writes, one transaction per event (event key, event-id key
// and the execution's tail record, like our append), no group commit of
// our own.
func BenchmarkBadgerOneTxnPerEvent(b *testing.B) {
	for _, appenders := range []int{1, 16} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			bo := dgbadger.DefaultOptions(b.TempDir()).WithSyncWrites(true).WithLogger(nil)
			db, err := dgbadger.Open(bo)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var seq atomic.Uint64
			benchAppenders(b, appenders, func(_ context.Context, evs []execution.Event) error {
				ev := evs[0]
				raw, _ := ev.MarshalJSON()
				n := seq.Add(1)
				return db.Update(func(txn *dgbadger.Txn) error {
					k := binary.BigEndian.AppendUint64(append([]byte{1}, ev.ExecutionID[:]...), n)
					if err := txn.Set(k, raw); err != nil {
						return err
					}
					if err := txn.Set(append([]byte{2}, ev.ID[:]...), k); err != nil {
						return err
					}
					return txn.Set(append([]byte{3}, ev.ExecutionID[:]...), k)
				})
			}, func() {}, func() {})
		})
	}
}

// benchAppenders runs b.N appends of one progress event spread over
// appenders goroutines, each on its own execution, and reports events/s
// and latency percentiles. started is called as the timer starts and
// report at the end, for implementation metrics.
func benchAppenders(b *testing.B, appenders int, appendFn func(context.Context, []execution.Event) error, started, report func()) {
	ctx := context.Background()
	logs := make([]*testLog, appenders)
	for i := range logs {
		logs[i] = newTestLog()
		if err := appendFn(ctx, []execution.Event{logs[i].created()}); err != nil {
			b.Fatal(err)
		}
	}
	// Events are built before the timer starts: the figures are the
	// store's cost, not event construction.
	work := make([][][]execution.Event, appenders)
	for i := range b.N {
		w := i % appenders
		work[w] = append(work[w], []execution.Event{logs[w].progress(i)})
	}
	latencies := make([][]time.Duration, appenders)
	var wg sync.WaitGroup
	b.ReportAllocs()
	started()
	b.ResetTimer()
	for w := range appenders {
		wg.Go(func() {
			lat := make([]time.Duration, 0, len(work[w]))
			for _, evs := range work[w] {
				start := time.Now()
				if err := appendFn(ctx, evs); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(start))
			}
			latencies[w] = lat
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	report()
}

// BenchmarkConformance runs the shared store benchmarks (append, batch,
// parallel, reading ten events, latest event) on disk in sync mode.
func BenchmarkConformance(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.EventStore {
		s, err := badger.Open(b.TempDir(), badger.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// BenchmarkListOpenExecutions lists the open executions of a store holding
// 100,000 of them (and 10,000 finished ones the listing must skip).
func BenchmarkListOpenExecutions(b *testing.B) {
	const open, finished = 100_000, 10_000
	dir := b.TempDir()
	s, err := badger.Open(dir, badger.Options{Durability: badger.DurabilityAsync})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	const loaders = 64
	for w := range loaders {
		wg.Go(func() {
			for i := w; i < open+finished; i += loaders {
				l := newTestLog()
				evs := []execution.Event{l.created()}
				if i >= open {
					evs = append(evs, l.event(execution.EventCompleted, nil))
				}
				if _, err := s.Append(ctx, evs, store.AppendOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Measure what a restarting host sees: a reopened store, not one still
	// compacting what was just loaded.
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	s = openDir(b, dir, badger.Options{})
	b.ResetTimer()
	for b.Loop() {
		list, err := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
		if err != nil || len(list) != open {
			b.Fatalf("ListExecutions = %d, %v; want %d", len(list), err, open)
		}
	}
}
