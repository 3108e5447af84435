package badger_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// faultOptions make a small store with several table files, and events
// big enough to live in the value log, so every kind of file exists.
func faultOptions() badger.Options {
	return badger.Options{MemTableSize: 1 << 20, BaseTableSize: 64 << 10, ValueThreshold: 512, ValueLogFileSize: 1 << 20, GCInterval: -1}
}

// faultStore fills dir and closes it; it returns every stored event by
// execution.
func faultStore(t *testing.T, dir string) map[uuid.UUID][]execution.Event {
	t.Helper()
	s, err := badger.Open(dir, faultOptions())
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("p", 700)
	stored := map[uuid.UUID][]execution.Event{}
	for i := range 400 {
		l := newTestLog()
		evs := []execution.Event{l.created()}
		for j := range 8 {
			payload := map[string]any{"step": j}
			if j%2 == 0 {
				payload["pad"] = pad // into the value log
			}
			evs = append(evs, l.event(execution.EventProgress, payload))
		}
		if i%3 == 0 {
			evs = append(evs, l.event(execution.EventCompleted, nil))
		}
		stored[l.id] = mustAppend(t, s, evs...)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return stored
}

// listing is the directory's files with their sizes and content hashes.
func listing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", e.Name(), len(data), sha256.Sum256(data))
	}
	return b.String()
}

func filesLike(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s in %s (%v)", pattern, dir, err)
	}
	slices.Sort(m)
	return m
}

// flipMiddle flips n bytes in the middle of a file.
func flipMiddle(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := len(b) / 2
	for i := off; i < off+n && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	writeFile(t, path, b)
}

// TestDamagedFilesAreRefusedNotDiscarded damages one file of a closed
// store at a time. Open must either refuse, naming the damaged file and
// changing nothing in the directory, or open and return every event
// exactly as stored or store.ErrCorrupt naming it — never a panic, never
// a changed event, never fewer events than were stored without an error.
func TestDamagedFilesAreRefusedNotDiscarded(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns the damaged file's name
		refuse bool                                  // Open must refuse
		// readSays is what a read of a damaged event must say, when Open
		// may accept the store (damage Badger would not discard).
		readSays string
	}{
		{"MANIFEST truncated to 20 bytes", func(t *testing.T, dir string) string {
			truncateTo(t, filepath.Join(dir, "MANIFEST"), 20)
			return "MANIFEST"
		}, true, ""},
		{"MANIFEST deleted", func(t *testing.T, dir string) string {
			must(t, os.Remove(filepath.Join(dir, "MANIFEST")))
			return "MANIFEST"
		}, true, ""},
		{"a table truncated", func(t *testing.T, dir string) string {
			sst := filesLike(t, dir, "*.sst")[0]
			info, _ := os.Stat(sst)
			truncateTo(t, sst, info.Size()/2)
			return filepath.Base(sst)
		}, true, ""},
		{"bytes flipped in a table", func(t *testing.T, dir string) string {
			sst := filesLike(t, dir, "*.sst")[0]
			flipMiddle(t, sst, 64)
			return filepath.Base(sst)
		}, true, ""},
		{"a table deleted", func(t *testing.T, dir string) string {
			sst := filesLike(t, dir, "*.sst")[0]
			must(t, os.Remove(sst))
			return filepath.Base(sst)
		}, true, ""},
		{"bytes flipped in the newest value-log file", func(t *testing.T, dir string) string {
			vlogs := filesLike(t, dir, "*.vlog")
			flipMiddle(t, vlogs[len(vlogs)-1], 64)
			return filepath.Base(vlogs[len(vlogs)-1])
		}, true, ""},
		{"a value-log file deleted", func(t *testing.T, dir string) string {
			vlogs := filesLike(t, dir, "*.vlog")
			must(t, os.Remove(vlogs[0]))
			return filepath.Base(vlogs[0])
		}, true, ""},
		{"a value-log file deleted after a crash", func(t *testing.T, dir string) string {
			// After a crash the state file says "open": the store cannot
			// know which value-log files garbage collection removed, so it
			// opens, and the reads that need the file fail.
			must(t, os.WriteFile(filepath.Join(dir, "openoma.state"), []byte(`{"clean": false}`), 0o600))
			vlogs := filesLike(t, dir, "*.vlog")
			must(t, os.Remove(vlogs[0]))
			return filepath.Base(vlogs[0])
		}, false, "value-log file"},
		{"bytes flipped in an older value-log file", func(t *testing.T, dir string) string {
			// Badger reads older value-log files as they are, cutting
			// nothing at open: the event checksum catches the damage.
			vlogs := filesLike(t, dir, "*.vlog")
			if len(vlogs) < 2 {
				t.Fatalf("want two value-log files, have %v", vlogs)
			}
			flipMiddle(t, vlogs[0], 64)
			return filepath.Base(vlogs[0])
		}, false, "stored data is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "events")
			stored := faultStore(t, dir)
			file := tt.damage(t, dir)
			before := listing(t, dir)
			s, err := openNoPanic(dir)
			if err != nil {
				t.Logf("Open: %v", err)
				if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), file) {
					t.Errorf("Open = %v, want ErrCorrupt naming %s", err, file)
				}
				if after := listing(t, dir); after != before {
					t.Errorf("a refused Open changed the directory:\nbefore\n%s\nafter\n%s", before, after)
				}
				return
			}
			defer s.Close()
			if tt.refuse {
				t.Errorf("Open accepted a store with %s damaged", file)
			}
			if corrupt := checkReadsBack(t, s, stored); corrupt == nil {
				t.Errorf("every read succeeded with %s damaged", file)
			} else if !strings.Contains(corrupt.Error(), tt.readSays) {
				t.Errorf("a read of a damaged event says %q; want %q", corrupt, tt.readSays)
			}
		})
	}
}

func openNoPanic(dir string) (s *badger.Store, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Open panicked: %v", r)
		}
	}()
	return badger.Open(dir, faultOptions())
}

// checkReadsBack reads every execution: each read gives exactly the
// stored events or ErrCorrupt. It returns the first ErrCorrupt.
func checkReadsBack(t *testing.T, s *badger.Store, stored map[uuid.UUID][]execution.Event) (corrupt error) {
	t.Helper()
	for id, want := range stored {
		got, err := s.Events(context.Background(), id, 0)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Events(%s) = %v, want the events or ErrCorrupt", id, err)
			}
			if corrupt == nil {
				corrupt = err
			}
			continue
		}
		if len(got) != len(want) {
			t.Fatalf("Events(%s): %d events without an error, %d were stored", id, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || !bytes.Equal(got[i].Payload, want[i].Payload) {
				t.Fatalf("Events(%s)[%d] = %s %s, stored %s %s", id, i, got[i].ID, got[i].Payload, want[i].ID, want[i].Payload)
			}
		}
	}
	return corrupt
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
