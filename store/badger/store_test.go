package badger_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// testLog builds one execution's events.
type testLog struct {
	id     uuid.UUID
	parent uuid.UUID
	def    uuid.UUID
}

func newTestLog() *testLog {
	return &testLog{id: uuid.New(), parent: uuid.New(), def: uuid.New()}
}

func (l *testLog) event(typ execution.EventType, payload any) execution.Event {
	ev, err := execution.NewEvent(l.id, typ, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test"}, payload)
	if err != nil {
		panic(err) // test payloads always encode
	}
	return ev
}

func (l *testLog) created() execution.Event {
	return l.event(execution.EventCreated, execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: l.parent, WorkBlockID: l.def, WorkBlockVersion: 3, Attempt: 1,
	})
}

func (l *testLog) progress(n int) execution.Event {
	return l.event(execution.EventProgress, map[string]int{"step": n})
}

func mustAppend(t testing.TB, s store.EventStore, evs ...execution.Event) []execution.Event {
	t.Helper()
	out, err := s.Append(context.Background(), evs, store.AppendOptions{})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return out
}

// snapshot is everything a store answers about a set of executions, as
// JSON so two stores can be compared exactly.
func snapshot(t *testing.T, s store.EventStore, ids []uuid.UUID, filters []store.Filter) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for _, id := range ids {
		evs, err := s.Events(ctx, id, 0)
		if err != nil {
			t.Fatalf("Events(%s): %v", id, err)
		}
		info, err := s.Execution(ctx, id)
		if err != nil {
			t.Fatalf("Execution(%s): %v", id, err)
		}
		latest, err := s.LatestEvent(ctx, id)
		if err != nil {
			t.Fatalf("LatestEvent(%s): %v", id, err)
		}
		_ = enc.Encode([]any{evs, info, latest})
	}
	for _, f := range filters {
		list, err := s.ListExecutions(ctx, f)
		if err != nil {
			t.Fatalf("ListExecutions(%+v): %v", f, err)
		}
		_ = enc.Encode([]any{f, list})
	}
	return b.String()
}

// populate stores a few executions: open ones, a completed one, one with an
// administrative event after its terminal event.
func populate(t *testing.T, s store.EventStore) ([]uuid.UUID, []store.Filter) {
	t.Helper()
	var ids []uuid.UUID
	var filters []store.Filter
	for i := range 5 {
		l := newTestLog()
		ids = append(ids, l.id)
		filters = append(filters, store.Filter{Parent: l.parent}, store.Filter{DefinitionID: l.def})
		mustAppend(t, s, l.created(), l.event(execution.EventStarted, nil))
		mustAppend(t, s, l.progress(i))
		if i%2 == 0 {
			mustAppend(t, s, l.event(execution.EventCompleted, map[string]bool{"ok": true}))
		}
		if i == 4 {
			admin := l.event(execution.EventProgress, map[string]string{"note": "audit"})
			admin.Metadata = map[string]any{execution.MetadataAdministrative: true}
			mustAppend(t, s, admin)
		}
	}
	filters = append(filters, store.Filter{}, store.Filter{OpenOnly: true}, store.Filter{Kind: execution.KindBlock})
	return ids, filters
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := badger.Open(dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids, filters := populate(t, s)
	before := snapshot(t, s, ids, filters)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openDir(t, dir, badger.Options{})
	verify(t, s)
	if after := snapshot(t, s, ids, filters); after != before {
		t.Fatalf("after reopening:\n%s\nwant:\n%s", after, before)
	}
	// Positions go on from where they were.
	l := newTestLog()
	out := mustAppend(t, s, l.created())
	var last uint64
	for _, id := range ids {
		ev, _ := s.LatestEvent(context.Background(), id)
		last = max(last, ev.Position)
	}
	if out[0].Position != last+1 {
		t.Errorf("first position after reopening = %d, want %d", out[0].Position, last+1)
	}
}

func TestOpenLockedDirectoryFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir, badger.Options{})
	start := time.Now()
	_, err := badger.Open(dir, badger.Options{})
	if !errors.Is(err, badger.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	t.Logf("second Open: %v", err)
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory %s", err, dir)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("second Open took %s: it must fail at once, not wait", time.Since(start))
	}
}

func TestOpenReportsBadDirectories(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		opts    badger.Options
		want    error  // matched with errors.Is, if set
		text    string // must appear in the error
	}{
		{
			name: "garbage manifest",
			prepare: func(t *testing.T, dir string) {
				closedStore(t, dir)
				writeFile(t, filepath.Join(dir, "MANIFEST"), []byte("this is not a manifest"))
			},
			text: "manifest",
		},
		{
			name: "truncated manifest",
			prepare: func(t *testing.T, dir string) {
				closedStore(t, dir)
				truncateTo(t, filepath.Join(dir, "MANIFEST"), 3)
			},
			text: "manifest",
		},
		{
			name: "corrupt table",
			prepare: func(t *testing.T, dir string) {
				closedStore(t, dir)
				sst := onlyFile(t, dir, "*.sst")
				b, err := os.ReadFile(sst)
				if err != nil {
					t.Fatal(err)
				}
				// Damage the table's index, just before its footer (index,
				// index length, checksum, checksum length). Badger checks
				// the index checksum at open and reports it cleanly; damage
				// inside a data block can instead make Badger v4.9.6 panic
				// while parsing the block, before its checksum is checked.
				checksumLen := int(binary.BigEndian.Uint32(b[len(b)-4:]))
				indexEnd := len(b) - 4 - checksumLen - 4
				for i := indexEnd - 12; i < indexEnd-4; i++ {
					b[i] ^= 0xff
				}
				writeFile(t, sst, b)
			},
			text: "checksum",
		},
		{
			name: "missing table",
			prepare: func(t *testing.T, dir string) {
				closedStore(t, dir)
				if err := os.Remove(onlyFile(t, dir, "*.sst")); err != nil {
					t.Fatal(err)
				}
			},
			text: "listed in the manifest (level 0) but missing",
			want: store.ErrCorrupt,
		},
		{
			name: "other badger data",
			prepare: func(t *testing.T, dir string) {
				db, err := dgbadger.Open(dgbadger.DefaultOptions(dir).WithLogger(nil))
				if err != nil {
					t.Fatal(err)
				}
				_ = db.Update(func(txn *dgbadger.Txn) error { return txn.Set([]byte("k"), []byte("v")) })
				_ = db.Close()
			},
			want: badger.ErrNotAStore,
		},
		{
			name:    "a file, not a directory",
			prepare: func(t *testing.T, dir string) { _ = os.Remove(dir); writeFile(t, dir, []byte("x")) },
			text:    "data directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.prepare(t, dir)
			s, err := badger.Open(dir, tt.opts)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded on a bad directory")
			}
			t.Logf("Open: %v", err)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Open = %v, want %v", err, tt.want)
			}
			if !strings.Contains(strings.ToLower(err.Error()), tt.text) || !strings.Contains(err.Error(), dir) {
				t.Errorf("Open error %q should name %s and say %q", err, dir, tt.text)
			}
		})
	}
}

func closedStore(t *testing.T, dir string) {
	t.Helper()
	s, err := badger.Open(dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func onlyFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) == 0 {
		t.Fatalf("no %s in %s", pattern, dir)
	}
	return m[0]
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncateTo(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	tests := []struct {
		opts badger.Options
		want string
	}{
		{badger.Options{Durability: "sometimes"}, "durability"},
		{badger.Options{MemTableSize: 1000}, "mem_table_size"},
		{badger.Options{NumCompactors: 1}, "num_compactors"},
		{badger.Options{ValueLogFileSize: 4 << 30}, "value_log_file_size"},
		{badger.Options{GCDiscardRatio: 1.5}, "gc_discard_ratio"},
		{badger.Options{ValueThreshold: 2 << 20}, "value_threshold"},
		{badger.Options{MaxBatchAppends: -1}, "max_batch_appends"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := badger.Open(t.TempDir(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%+v) = %v, want an error naming %s", tt.opts, err, tt.want)
			}
		})
	}
}

// TestConcurrentAppendersShareCommits checks group commit: many appenders
// at once need fewer commits (fsyncs) than appends, and every append is
// stored.
func TestConcurrentAppendersShareCommits(t *testing.T) {
	s := openTemp(t, badger.Options{})
	const writers, each = 16, 20
	var wg sync.WaitGroup
	logs := make([]*testLog, writers)
	for w := range writers {
		logs[w] = newTestLog()
		wg.Go(func() {
			l := logs[w]
			if _, err := s.Append(context.Background(), []execution.Event{l.created()}, store.AppendOptions{}); err != nil {
				t.Error(err)
				return
			}
			for i := range each {
				if _, err := s.Append(context.Background(), []execution.Event{l.progress(i)}, store.AppendOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if want := uint64(writers * (each + 1)); st.Appends != want {
		t.Fatalf("Stats.Appends = %d, want %d", st.Appends, want)
	}
	if st.Commits >= st.Appends {
		t.Errorf("%d appends took %d commits: concurrent appends must share commits", st.Appends, st.Commits)
	}
	if st.CommitTime <= 0 {
		t.Errorf("Stats.CommitTime = %v after %d commits, want the time they took", st.CommitTime, st.Commits)
	}
	for _, l := range logs {
		evs, err := s.Events(context.Background(), l.id, 0)
		if err != nil || len(evs) != each+1 {
			t.Fatalf("execution %s: %d events, %v; want %d", l.id, len(evs), err, each+1)
		}
	}
}

// TestBatchSplitsWhenTooBig uses a tiny memtable, so one group commit of
// many large appends exceeds Badger's transaction limit and must be split;
// and one append larger than the limit fails alone, with ErrInvalid.
func TestBatchSplitsWhenTooBig(t *testing.T) {
	s := openTemp(t, badger.Options{MemTableSize: 1 << 20, ValueThreshold: 100 << 10})
	big := strings.Repeat("x", 20<<10)
	var wg sync.WaitGroup
	const writers = 24
	logs := make([]*testLog, writers)
	for w := range writers {
		logs[w] = newTestLog()
		wg.Go(func() {
			l := logs[w]
			for i := range 5 {
				evs := []execution.Event{l.event(execution.EventProgress, map[string]string{"blob": big})}
				if i == 0 {
					evs = []execution.Event{l.created()}
				}
				if _, err := s.Append(context.Background(), evs, store.AppendOptions{}); err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range logs {
		if evs, err := s.Events(context.Background(), l.id, 0); err != nil || len(evs) != 5 {
			t.Fatalf("execution %s: %d events, %v; want 5", l.id, len(evs), err)
		}
	}

	l := newTestLog()
	mustAppend(t, s, l.created())
	var huge []execution.Event
	for range 20 {
		huge = append(huge, l.event(execution.EventProgress, map[string]string{"blob": big}))
	}
	_, err := s.Append(context.Background(), huge, store.AppendOptions{})
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), l.id.String()) {
		t.Fatalf("oversized append = %v, want ErrInvalid naming execution %s", err, l.id)
	}
	if evs, _ := s.Events(context.Background(), l.id, 0); len(evs) != 1 {
		t.Errorf("a failed oversized append left %d events, want 1", len(evs))
	}
	mustAppend(t, s, l.progress(1)) // the store still works
	verify(t, s)
}

func TestBackupRestore(t *testing.T) {
	for _, mode := range []string{"disk", "memory"} {
		t.Run(mode, func(t *testing.T) {
			open := func() *badger.Store {
				if mode == "memory" {
					s, err := badger.OpenInMemory(badger.Options{})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = s.Close() })
					return s
				}
				return openTemp(t, badger.Options{})
			}
			src := open()
			ids, filters := populate(t, src)
			var buf strings.Builder
			if err := src.Backup(context.Background(), &buf); err != nil {
				t.Fatalf("Backup: %v", err)
			}
			dst := open()
			if err := dst.Restore(context.Background(), strings.NewReader(buf.String())); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if got, want := verify(t, dst), verify(t, src); got != want {
				t.Errorf("restored store: %+v, want %+v", got, want)
			}
			if got, want := snapshot(t, dst, ids, filters), snapshot(t, src, ids, filters); got != want {
				t.Fatalf("restored store differs:\n%s\nwant:\n%s", got, want)
			}
			// Appends go on in both with the same positions and indexes.
			l := newTestLog()
			a, b := mustAppend(t, src, l.created()), mustAppend(t, dst, l.created())
			if a[0].Position != b[0].Position {
				t.Errorf("next position after restore = %d, want %d", b[0].Position, a[0].Position)
			}
			if err := dst.Restore(context.Background(), strings.NewReader(buf.String())); !errors.Is(err, badger.ErrNotEmpty) {
				t.Errorf("Restore into a non-empty store = %v, want ErrNotEmpty", err)
			}
		})
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	s := openTemp(t, badger.Options{})
	err := s.Restore(context.Background(), strings.NewReader("\x05\x00\x00\x00\x00\x00\x00\x00garbage"))
	if err == nil {
		t.Fatal("Restore of garbage succeeded")
	}
}

func TestGCScheduleStopsOnClose(t *testing.T) {
	dir := t.TempDir()
	s, err := badger.Open(dir, badger.Options{GCInterval: 5 * time.Millisecond, ValueThreshold: 64})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, s)
	time.Sleep(30 * time.Millisecond) // let the schedule fire a few times
	if _, err := s.CollectGarbage(context.Background()); err != nil {
		t.Errorf("CollectGarbage: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the GC goroutine")
	}
	if _, err := s.CollectGarbage(context.Background()); !errors.Is(err, store.ErrClosed) {
		t.Errorf("CollectGarbage after Close = %v, want ErrClosed", err)
	}
}

func TestAppendAfterCloseAndCancelledContext(t *testing.T) {
	s := openTemp(t, badger.Options{})
	l := newTestLog()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, []execution.Event{l.created()}, store.AppendOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a cancelled context = %v, want context.Canceled", err)
	}
	if evs, _ := s.Events(context.Background(), l.id, 0); len(evs) != 0 {
		t.Errorf("cancelled append stored %d events", len(evs))
	}
	_ = s.Close()
	if _, err := s.Append(context.Background(), []execution.Event{l.created()}, store.AppendOptions{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Events(context.Background(), l.id, 0); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Events after Close = %v, want ErrClosed", err)
	}
}

// TestLargeEventsLiveInValueLog stores events above the value threshold
// and reads them back after reopening.
func TestLargeEventsLiveInValueLog(t *testing.T) {
	dir := t.TempDir()
	s, err := badger.Open(dir, badger.Options{ValueThreshold: 128})
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLog()
	payload := map[string]string{"text": strings.Repeat("large ", 2000)}
	want := mustAppend(t, s, l.created(), l.event(execution.EventProgress, payload))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir, badger.Options{ValueThreshold: 128})
	got, err := s.Events(context.Background(), l.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(jsonOf(t, got)) != fmt.Sprint(jsonOf(t, want)) {
		t.Errorf("events differ after reopening")
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
