package badger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/openoma/openoma/store"
)

// logFile builds a log file (header, then entries) for the fuzz seeds.
func logFile(entries ...[]byte) []byte {
	b := make([]byte, logHeaderSize)
	for _, e := range entries {
		b = append(b, e...)
	}
	return append(b, make([]byte, 64)...) // preallocated zeros
}

func logEntryBytes(meta byte, key, value []byte) []byte {
	b := []byte{meta, 0}
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = binary.AppendUvarint(b, 0)
	b = append(b, key...)
	b = append(b, value...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func tsKey(k string, ts uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(k), ^ts) // Badger stores MaxUint64-ts
}

// FuzzScanLog feeds arbitrary bytes to the log-file reader that decides
// whether Badger's cut at open would lose data: it must never panic, and
// where it would cut must lie inside the file.
func FuzzScanLog(f *testing.F) {
	txn := logFile(logEntryBytes(bitTxn, tsKey("k1", 5), []byte("v")), logEntryBytes(bitFinTxn, tsKey("!badger!txn", 5), []byte("5")))
	f.Add(txn)
	f.Add(logFile(logEntryBytes(0, tsKey("plain", 1), []byte("value"))))
	damaged := bytes.Clone(txn)
	damaged[logHeaderSize+3] ^= 0xff
	f.Add(damaged)
	f.Add(make([]byte, logHeaderSize+10))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < logHeaderSize {
			return
		}
		sc := scanLogBytes(b, func(e logEntry) {
			if len(e.key) == 0 {
				t.Fatal("an entry without a key was kept")
			}
		})
		if sc.keep < logHeaderSize || sc.keep > len(b) {
			t.Fatalf("cut at %d, outside [%d, %d]", sc.keep, logHeaderSize, len(b))
		}
		if sc.damagedAt >= 0 && (sc.damagedAt < sc.keep || sc.laterData <= sc.damagedAt || sc.laterData >= len(b)) {
			t.Fatalf("damage at %d, later data at %d, cut at %d, size %d", sc.damagedAt, sc.laterData, sc.keep, len(b))
		}
	})
}

// TestScanLogTellsCrashFromDamage: a torn last entry (a crash) is let go;
// an unreadable entry with intact data after it (damage) is not.
func TestScanLogTellsCrashFromDamage(t *testing.T) {
	first := logEntryBytes(0, tsKey("a", 1), bytes.Repeat([]byte("x"), 100))
	second := logEntryBytes(0, tsKey("b", 2), bytes.Repeat([]byte("y"), 100))
	whole := logFile(first, second)
	torn := bytes.Clone(whole)
	clear(torn[logHeaderSize+len(first)+40:]) // the second entry half written
	damaged := bytes.Clone(whole)
	damaged[logHeaderSize+50] ^= 0xff // inside the first, the second intact
	tests := []struct {
		name       string
		b          []byte
		keep       int
		wantDamage bool
	}{
		{"intact", whole, logHeaderSize + len(first) + len(second), false},
		{"torn last entry", torn, logHeaderSize + len(first), false},
		{"damaged entry before an intact one", damaged, logHeaderSize, true},
	}
	for _, tt := range tests {
		sc := scanLogBytes(tt.b, func(logEntry) {})
		if sc.keep != tt.keep || (sc.damagedAt >= 0) != tt.wantDamage {
			t.Errorf("%s: keep %d damaged at %d; want keep %d, damage %v", tt.name, sc.keep, sc.damagedAt, tt.keep, tt.wantDamage)
		}
	}
}

// FuzzCheckBackup feeds arbitrary bytes to the backup checker: an error
// (a store.ErrCorrupt) or a backup that also restores, never a panic.
func FuzzCheckBackup(f *testing.F) {
	s, err := Open("", Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if err := s.Backup(context.Background(), &good); err != nil {
		f.Fatal(err)
	}
	_ = s.Close()
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()/2])
	f.Add([]byte("\x05\x00\x00\x00\x00\x00\x00\x00garbage"))
	f.Add(backupMagic)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := CheckBackup(bytes.NewReader(b)); err != nil {
			if !errors.Is(err, store.ErrCorrupt) && !errors.Is(err, ErrNotAStore) {
				t.Fatalf("CheckBackup error %v is neither ErrCorrupt nor ErrNotAStore", err)
			}
		}
	})
}
