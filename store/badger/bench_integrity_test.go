package badger_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// benchStoreDir builds a store of 100,000 events (10,000 executions of
// ten, ~200-byte payloads; some 20 MiB of tables) and closes it.
func benchStoreDir(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "events")
	s, err := badger.Open(dir, badger.Options{Durability: badger.DurabilityAsync, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	pad := strings.Repeat("x", 200)
	for range 10_000 {
		l := newTestLog()
		evs := []execution.Event{l.created()}
		for j := range 9 {
			evs = append(evs, l.event(execution.EventProgress, map[string]any{"step": j, "pad": pad}))
		}
		if _, err := s.Append(context.Background(), evs, store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkOpen opens and closes a store of 100,000 events: what a host
// pays at every start for the checks at open (tables verified, MANIFEST
// against the directory, log tails), with and without table verification.
func BenchmarkOpen(b *testing.B) {
	dir := benchStoreDir(b)
	for _, tt := range []struct {
		name string
		opts badger.Options
	}{
		{"verify", badger.Options{GCInterval: -1}},
		{"skipverify", badger.Options{GCInterval: -1, SkipTableVerification: true}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				s, err := badger.Open(dir, tt.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadExecution reads one ten-event execution: every event is
// decoded and, since codec version 2, checksummed.
func BenchmarkReadExecution(b *testing.B) {
	s := openTemp(b, badger.Options{Durability: badger.DurabilityAsync, GCInterval: -1})
	l := newTestLog()
	evs := []execution.Event{l.created()}
	for j := range 9 {
		evs = append(evs, l.event(execution.EventProgress, map[string]any{"step": j, "pad": strings.Repeat("x", 200)}))
	}
	mustAppend(b, s, evs...)
	for b.Loop() {
		got, err := s.Events(context.Background(), l.id, 0)
		if err != nil || len(got) != 10 {
			b.Fatal(len(got), err)
		}
	}
}
