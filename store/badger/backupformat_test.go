package badger

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// backupOf fills a store and returns its backup and, for the legacy case,
// its bare Badger stream.
func backupOf(t *testing.T) (backup, legacy []byte) {
	t.Helper()
	s, err := Open(t.TempDir(), Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 50 {
		exec := uuid.New()
		ev, _ := execution.NewEvent(exec, execution.EventCreated, nil, execution.Created{Kind: execution.KindFlow, FlowID: uuid.New(), FlowVersion: 1})
		if _, err := s.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var b, l bytes.Buffer
	if err := s.Backup(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Backup(&l, 0); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), l.Bytes()
}

// TestBadBackupsAreRefusedBeforeLoading: random bytes, every truncation
// and single flipped bytes fail CheckBackup and RestoreDir with
// ErrBadBackup, without a panic and without creating the target; intact
// backups, old (bare) ones included, restore.
func TestBadBackupsAreRefusedBeforeLoading(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	good, legacy := backupOf(t)
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rnd.IntN(256))
	}
	bad := map[string][]byte{"random bytes": random, "empty": nil, "magic only": backupMagic}
	for _, cut := range []int{len(backupMagic) + 3, len(good) / 3, len(good) / 2, len(good) - 21, len(good) - 1} {
		bad["truncated to "+strconv.Itoa(cut)+" bytes"] = good[:cut]
	}
	for range 5 {
		flipped := bytes.Clone(good)
		off := len(backupMagic) + rnd.IntN(len(good)-len(backupMagic))
		flipped[off] ^= byte(1 + rnd.IntN(255))
		bad["byte "+strconv.Itoa(off)+" flipped"] = flipped
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := CheckBackup(bytes.NewReader(b)); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("CheckBackup = %v, want ErrBadBackup", err)
			}
			target := filepath.Join(t.TempDir(), "events")
			_, err := RestoreDir(context.Background(), bytes.NewReader(b), target, Options{})
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("RestoreDir = %v, want ErrBadBackup", err)
			}
			if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("a failed restore left %s behind", target)
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".*"))
			if len(leftovers) > 0 {
				t.Errorf("a failed restore left %v behind", leftovers)
			}
		})
	}
	for name, b := range map[string][]byte{"current": good, "bare Badger stream (old backups)": legacy} {
		t.Run(name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "events")
			info, err := RestoreDir(context.Background(), bytes.NewReader(b), target, Options{})
			if err != nil {
				t.Fatalf("RestoreDir: %v", err)
			}
			if info.Checksummed != (name == "current") {
				t.Errorf("Checksummed = %v", info.Checksummed)
			}
			s, err := Open(target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, err := s.Verify(context.Background())
			if err != nil || rep.Executions != 50 {
				t.Errorf("restored store: %+v, %v; want 50 executions", rep, err)
			}
		})
	}
}
