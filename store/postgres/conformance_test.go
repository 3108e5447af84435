package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/postgres"
	"github.com/openoma/openoma/store/postgres/pgtest"
	"github.com/openoma/openoma/store/storetest"
)

// openTemp opens a store in a fresh schema of the test database; the
// schema is dropped when tb ends.
func openTemp(tb testing.TB, opts postgres.Options) *postgres.Store {
	tb.Helper()
	opts.DSN, opts.Schema = pgtest.Schema(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance runs the shared suite with LISTEN/NOTIFY wake-ups.
func TestConformance(t *testing.T) {
	pgtest.DSN(t) // skip (or fail in CI) once, not in every property
	storetest.Run(t, func(t *testing.T) store.EventStore { return openTemp(t, postgres.Options{Notify: true}) })
}

// TestConformancePollingOnly runs it as behind a transaction-pooling
// proxy: no NOTIFY, subscriptions woken by this process's appends and by
// polling.
func TestConformancePollingOnly(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) store.EventStore { return openTemp(t, postgres.Options{}) })
}
