package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/postgres"
	"github.com/openoma/openoma/store/postgres/pgtest"
	"github.com/openoma/openoma/store/storetest"
)

// open opens a store on an existing schema.
func open(tb testing.TB, dsn, schema string, opts postgres.Options) *postgres.Store {
	tb.Helper()
	opts.DSN, opts.Schema = dsn, schema
	s, err := postgres.Open(tb.Context(), opts)
	if err != nil {
		tb.Fatalf("Open(schema %s): %v", schema, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// sql runs one statement on its own connection.
func sql(tb testing.TB, dsn, stmt string, args ...any) pgx.Rows {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	rows, err := conn.Query(tb.Context(), stmt, args...)
	if err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
	return rows
}

func created(exec uuid.UUID) execution.Event {
	ev, err := execution.NewEvent(exec, execution.EventCreated, nil, execution.Created{Kind: execution.KindBlock, WorkBlockID: uuid.New(), WorkBlockVersion: 1, Attempt: 1})
	if err != nil {
		panic(err) // a Created always encodes
	}
	return ev
}

func progress(exec uuid.UUID) execution.Event {
	ev, err := execution.NewEvent(exec, execution.EventProgress, nil, map[string]int{"step": 1})
	if err != nil {
		panic(err) // a map always encodes
	}
	return ev
}

// TestMigrateConcurrentOpens opens eight stores on one empty schema at
// once, as hosts starting together do: the advisory lock makes one of
// them migrate and the others find the schema done.
func TestMigrateConcurrentOpens(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, 8)
	for i := range stores {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: schema})
			if err != nil {
				t.Errorf("concurrent Open %d: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
	}
	if t.Failed() {
		return
	}
	rows := sql(t, dsn, "SELECT version, name FROM "+schema+".schema_migrations ORDER BY version")
	var versions []int
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if len(versions) != 1 || versions[0] != 1 {
		t.Fatalf("schema_migrations holds versions %v, want [1] once", versions)
	}
	// Every store sees what another appended: they share one log.
	exec := uuid.New()
	if _, err := stores[0].Append(t.Context(), []execution.Event{created(exec)}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if evs, err := stores[7].Events(t.Context(), exec, 0); err != nil || len(evs) != 1 {
		t.Fatalf("another store's Events = %d events, %v; want 1", len(evs), err)
	}
}

// TestMigrateRefusesNewerSchema: a binary must not write to a schema a
// newer openoma migrated past what it knows.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	open(t, dsn, schema, postgres.Options{}).Close()
	sql(t, dsn, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES (99, '0099_future.sql')").Close()
	_, err := postgres.Open(t.Context(), postgres.Options{DSN: dsn, Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "version 99") || !strings.Contains(err.Error(), "upgrade openoma") {
		t.Fatalf("Open on a schema at version 99 = %v, want an error telling to upgrade", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dsn := pgtest.DSN(t)
	cases := []struct {
		name string
		opts postgres.Options
		want string
		not  string
	}{
		{"no DSN", postgres.Options{}, "no DSN", ""},
		{"bad schema", postgres.Options{DSN: dsn, Schema: "Robert'); DROP TABLE x;--"}, "schema", ""},
		{"unparsable DSN keeps its password", postgres.Options{DSN: "postgres://u:s3cr3t@host:notaport/db"}, "DSN does not parse", "s3cr3t"},
		{"unreachable server", postgres.Options{DSN: "postgres://u:s3cr3t@127.0.0.1:1/db?connect_timeout=2"}, "127.0.0.1:1/db", "s3cr3t"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), c.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded, want an error mentioning %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || (c.not != "" && strings.Contains(err.Error(), c.not)) {
				t.Errorf("Open = %q, want it to mention %q and not %q", err, c.want, c.not)
			}
		})
	}
}

// nextWithin reads one event, failing if none comes within d.
func nextWithin(t *testing.T, sub store.Subscription, d time.Duration) execution.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	ev, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("Next within %s: %v", d, err)
	}
	return ev
}

// TestSubscriptionAcrossProcesses: a subscriber of one store learns of
// another store's append (another host) by NOTIFY, without waiting for
// its poll — the poll interval here is an hour — and, without NOTIFY, by
// polling.
func TestSubscriptionAcrossProcesses(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	for _, c := range []struct {
		name   string
		reader postgres.Options
		writer postgres.Options
	}{
		{"notify", postgres.Options{Notify: true, PollInterval: time.Hour}, postgres.Options{Notify: true}},
		{"polling", postgres.Options{PollInterval: 10 * time.Millisecond}, postgres.Options{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			reader, writer := open(t, dsn, schema, c.reader), open(t, dsn, schema, c.writer)
			exec := uuid.New()
			sub, err := reader.Subscribe(t.Context(), store.SubscribeOptions{ExecutionID: exec})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			got := make(chan execution.Event, 1)
			go func() {
				ev, err := sub.Next(t.Context())
				if err != nil {
					t.Errorf("Next: %v", err)
				}
				got <- ev
			}()
			stored, err := writer.Append(t.Context(), []execution.Event{created(exec)}, store.AppendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-got:
				if ev.ID != stored[0].ID {
					t.Errorf("delivered %s, want %s", ev.ID, stored[0].ID)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the other store's append was not delivered")
			}
		})
	}
}

// TestListenerReconnects kills the LISTEN session's backend; the store
// must listen again and keep waking its subscriptions by NOTIFY (the poll
// interval is an hour, so nothing else could wake them).
func TestListenerReconnects(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	reader := open(t, dsn, schema, postgres.Options{Notify: true, PollInterval: time.Hour})
	writer := open(t, dsn, schema, postgres.Options{Notify: true})
	channel := `LISTEN "openoma_events_` + schema + `"`
	killListener := func() int {
		rows := sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1", channel)
		n := 0
		for rows.Next() {
			n++
		}
		return n
	}
	for attempt := 0; killListener() == 0; attempt++ {
		if attempt > 3000 {
			t.Fatal("found no LISTEN session to kill")
		}
		time.Sleep(10 * time.Millisecond) // the listener starts in the background
	}
	exec := uuid.New()
	sub, err := reader.Subscribe(t.Context(), store.SubscribeOptions{ExecutionID: exec})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// Append until the subscriber is woken: appends made before the
	// listener is back are found by the wake-up it sends on reconnecting.
	evs := []execution.Event{created(exec)}
	if _, err := writer.Append(t.Context(), evs, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := nextWithin(t, sub, 30*time.Second); ev.ID != evs[0].ID {
		t.Fatalf("delivered %s, want %s", ev.ID, evs[0].ID)
	}
	later := progress(exec)
	if _, err := writer.Append(t.Context(), []execution.Event{later}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := nextWithin(t, sub, 30*time.Second); ev.ID != later.ID {
		t.Fatalf("delivered %s, want %s", ev.ID, later.ID)
	}
}

// TestSurvivesServerSideDisconnects terminates every session of the
// store, as a PostgreSQL restart does: calls may fail while the pool
// notices, a retried append is stored once, and the store goes on.
func TestSurvivesServerSideDisconnects(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	s := open(t, dsn, schema, postgres.Options{Notify: true, PollInterval: 20 * time.Millisecond})
	exec := uuid.New()
	first := []execution.Event{created(exec)}
	if _, err := s.Append(t.Context(), first, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(t.Context(), store.SubscribeOptions{ExecutionID: exec})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	nextWithin(t, sub, 30*time.Second)
	// Only this store's sessions: every one of its statements names its
	// schema, so other tests sharing the database are left alone.
	sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()", schema).Close()
	ev := progress(exec)
	var stored []execution.Event
	deadline := time.Now().Add(30 * time.Second)
	for {
		stored, err = s.Append(t.Context(), []execution.Event{ev}, store.AppendOptions{})
		if err == nil {
			break
		}
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) || time.Now().After(deadline) {
			t.Fatalf("append after the disconnect: %v", err)
		}
	}
	if got := nextWithin(t, sub, 30*time.Second); got.ID != stored[0].ID || got.Sequence != 2 {
		t.Fatalf("after reconnecting delivered %s at %d, want %s at 2", got.ID, got.Sequence, stored[0].ID)
	}
	if evs, err := s.Events(t.Context(), exec, 0); err != nil || len(evs) != 2 {
		t.Fatalf("Events = %d, %v; want 2 (the retried append stored once)", len(evs), err)
	}
}

// TestTimestampsInTheTable: timestamptz keeps microseconds; the
// store keeps the nanoseconds below them beside it, and people querying
// the table see a real timestamp.
func TestTimestampsInTheTable(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	s := open(t, dsn, schema, postgres.Options{})
	ev := created(uuid.New())
	ev.Timestamp = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	if _, err := s.Append(t.Context(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	rows := sql(t, dsn, "SELECT recorded_at, recorded_at_ns, convert_from(payload, 'UTF8')::jsonb->>'kind' FROM "+schema+".events WHERE id = $1", ev.ID)
	if !rows.Next() {
		t.Fatal("event not in the table")
	}
	var at time.Time
	var ns int
	var kind string
	if err := rows.Scan(&at, &ns, &kind); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if !at.Equal(time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)) || ns != 789 || kind != "block" {
		t.Errorf("row holds %s + %dns, kind %q; want 2025-03-04T05:06:07.123456Z + 789ns, block", at, ns, kind)
	}
}

// TestGroupCommit: appends that wait together share one transaction
// (one WAL flush), and the counters say so. 64 appenders start at once
// and each appends 10 times, so the writer always finds others queued
// behind the one it is committing.
func TestGroupCommit(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	s := open(t, dsn, schema, postgres.Options{})
	const appenders, each = 64, 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range appenders {
		exec := uuid.New()
		wg.Go(func() {
			<-start
			evs := []execution.Event{created(exec)}
			for range each {
				if _, err := s.Append(context.Background(), evs, store.AppendOptions{}); err != nil {
					t.Error(err)
					return
				}
				evs = []execution.Event{progress(exec)}
			}
		})
	}
	close(start)
	wg.Wait()
	retry := []execution.Event{created(uuid.New())}
	for range 2 {
		if _, err := s.Append(t.Context(), retry, store.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Appends != appenders*each+1 || st.Events != appenders*each+1 || st.NoOps != 1 {
		t.Errorf("Stats = %+v, want %d appends and events, 1 no-op", st, appenders*each+1)
	}
	if st.Commits >= st.Appends/2 {
		t.Errorf("%d appends took %d commits: concurrent appends are not sharing transactions", st.Appends, st.Commits)
	}
	t.Logf("%d appends in %d commits", st.Appends, st.Commits)
}

// TestFencingAcrossStores: two stores on one database, as two hosts. The
// lease and its fence are the database's, not a process's: when host B
// takes over an execution whose lease host A let lapse, A's appends are
// refused even though A's own store never heard of B.
func TestFencingAcrossStores(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	a, b := open(t, dsn, schema, postgres.Options{}), open(t, dsn, schema, postgres.Options{})
	exec := uuid.New()
	la, err := a.AcquireLease(t.Context(), exec, "host-a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AppendFenced(t.Context(), la, []execution.Event{created(exec)}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireLease(t.Context(), exec, "host-b", time.Hour); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("host B acquiring a held lease = %v, want ErrLeaseHeld", err)
	}
	if _, err := a.RenewLease(t.Context(), la, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var lb store.Lease
	deadline := time.Now().Add(30 * time.Second)
	for {
		if lb, err = b.AcquireLease(t.Context(), exec, "host-b", time.Hour); err == nil {
			break
		}
		if !errors.Is(err, store.ErrLeaseHeld) || time.Now().After(deadline) {
			t.Fatalf("host B taking over: %v", err)
		}
		time.Sleep(time.Millisecond) // until the database's clock passes A's expiry
	}
	if _, err := a.AppendFenced(t.Context(), la, []execution.Event{progress(exec)}, store.AppendOptions{}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("host A appending after the takeover = %v, want ErrFenced", err)
	}
	if _, err := b.AppendFenced(t.Context(), lb, []execution.Event{progress(exec)}, store.ExpectSequence(1)); err != nil {
		t.Fatalf("host B appending after the takeover: %v", err)
	}
	leases, err := a.Leases(t.Context())
	if err != nil || len(leases) != 1 || leases[0].Owner != "host-b" || leases[0].Token != la.Token+1 {
		t.Fatalf("Leases seen by host A = %+v, %v; want host-b with token %d", leases, err, la.Token+1)
	}
}

// TestSubscribeAcrossHosts runs the hammered-subscription property through
// three stores on one schema, as three hosts: each has its own writer and
// group commits, the head lock orders them all, and every subscriber on
// every store must see every host's events without a gap.
func TestSubscribeAcrossHosts(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	for _, c := range []struct {
		name string
		opts postgres.Options
	}{
		{"notify", postgres.Options{Notify: true}},
		{"polling", postgres.Options{PollInterval: 10 * time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := schema + "_" + c.name
			sql(t, dsn, "CREATE SCHEMA "+sub).Close()
			t.Cleanup(func() { pgtest.Drop(t, dsn, sub) })
			storetest.SubscribeShared(t, open(t, dsn, sub, c.opts), open(t, dsn, sub, c.opts), open(t, dsn, sub, c.opts))
		})
	}
}
