package badger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// TestAppendRefusedBelowTheFloor: with less free space than the floor, an
// append fails with ErrNoSpace naming the directory and what is free,
// stores nothing, and reads keep working. Without the check Badger would
// write on and, on a really full disk, die of SIGBUS.
func TestAppendRefusedBelowTheFloor(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, badger.Options{})
	l := newTestLog()
	mustAppend(t, s, l.created())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	full := openDir(t, dir, badger.Options{MinFreeSpace: 1 << 60}) // more than any disk has
	_, err := full.Append(context.Background(), []execution.Event{l.progress(1)}, store.AppendOptions{})
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Append below the floor = %v, want ErrNoSpace naming %s", err, dir)
	}
	evs, err := full.Events(context.Background(), l.id, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Events on a full disk = %d events, %v; want the 1 stored", len(evs), err)
	}
	if st := full.Stats(); st.NoSpace != 1 || st.Appends != 0 {
		t.Errorf("stats %+v, want 1 refusal and no append", st)
	}
}
