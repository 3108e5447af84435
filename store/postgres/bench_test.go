package postgres_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/postgres"
	"github.com/openoma/openoma/store/storetest"
)

// backends are the stores the benchmarks compare: this one, with and
// without NOTIFY, beside the embedded Badger store in its default sync
// mode (fsync per commit), all on this machine's disk.
var backends = []struct {
	name string
	open func(b *testing.B) store.EventStore
}{
	{"postgres", func(b *testing.B) store.EventStore { return openTemp(b, postgres.Options{Notify: true}) }},
	{"postgres-nonotify", func(b *testing.B) store.EventStore { return openTemp(b, postgres.Options{}) }},
	{"badger", func(b *testing.B) store.EventStore {
		s, err := badger.Open(b.TempDir(), badger.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// BenchmarkBackends appends from 1, 16 and 256 concurrent appenders (each
// on its own execution) and reads an execution's ten events from 1, 16
// and 256 concurrent readers, on each backend.
func BenchmarkBackends(b *testing.B) {
	for _, be := range backends {
		for _, n := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/append/appenders=%d", be.name, n), func(b *testing.B) {
				s := be.open(b)
				storetest.BenchAppenders(b, s, n)
				// BenchAppenders creates the n executions one by one
				// before the timer starts: n appends in n commits, not
				// counted.
				if appends, commits, ok := commitStats(s); ok && commits > uint64(n) {
					b.ReportMetric(float64(appends-uint64(n))/float64(commits-uint64(n)), "appends/commit")
				}
			})
		}
		for _, n := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/read/readers=%d", be.name, n), func(b *testing.B) {
				storetest.BenchReaders(b, be.open(b), n)
			})
		}
	}
}

// commitStats reads a store's append and commit counters.
func commitStats(s store.EventStore) (appends, commits uint64, ok bool) {
	switch s := s.(type) {
	case *postgres.Store:
		st := s.Stats()
		return st.Appends, st.Commits, true
	case *badger.Store:
		st := s.Stats()
		return st.Appends, st.Commits, true
	}
	return 0, 0, false
}

// BenchmarkConformance runs the shared store benchmarks (append, batch,
// parallel, reading ten events, latest event) on PostgreSQL.
func BenchmarkConformance(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.EventStore { return openTemp(b, postgres.Options{Notify: true}) })
}

// BenchmarkFsyncFloor is the physical floor of this machine's disk: one
// 4 KiB write and fsync in a loop, in the benchmark's temporary directory.
// PostgreSQL's data directory may be on another filesystem; this is the
// floor for Badger and a reference for the server.
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
