package badger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dgraph-io/badger/v4/y"
)

// Badger's value-log and write-ahead (.mem) files share one format
// (badger v4.9.6 memtable.go, value.go): a 20-byte header, then entries
//
//	meta(1) userMeta(1) uvarint klen, uvarint vlen, uvarint expiresAt,
//	key (with an 8-byte version), value, CRC-32C of all of it (4, big-endian)
//
// grouped into transactions: entries flagged bitTxn, closed by an entry
// flagged bitFinTxn whose value is the version in decimal. At open Badger
// keeps the file up to the end of the last complete transaction and cuts
// the rest. Read here independently, to see what that cut would remove.
const logHeaderSize = 20

type logEntry struct {
	meta       byte
	key, value []byte
}

// parseLogEntry reads the entry at the start of b; ok is false when it is
// not a complete, intact entry. span is the entry's length, or for an
// unreadable entry the length its header claims (0 when that is unknown).
func parseLogEntry(b []byte) (e logEntry, span int, ok bool) {
	if len(b) < 2 {
		return e, 0, false
	}
	e.meta = b[0]
	off := 2
	klen, n := binary.Uvarint(b[off:])
	if n <= 0 {
		return e, 0, false
	}
	off += n
	vlen, n := binary.Uvarint(b[off:])
	if n <= 0 {
		return e, 0, false
	}
	off += n
	if _, n = binary.Uvarint(b[off:]); n <= 0 {
		return e, 0, false
	}
	off += n
	if klen == 0 || klen > 1<<16 || vlen > 1<<32 {
		return e, 0, false
	}
	span = off + int(klen) + int(vlen) + crc32.Size
	if span > len(b) {
		return e, span, false
	}
	body := b[:span-crc32.Size]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[span-crc32.Size:span]) {
		return e, span, false
	}
	e.key = b[off : off+int(klen)]
	e.value = b[off+int(klen) : span-crc32.Size]
	return e, span, true
}

// logScan is one log file read as Badger replays it.
type logScan struct {
	// keep is where Badger would cut the file: the end of the last
	// complete transaction.
	keep int
	// damagedAt is the offset of the first unreadable entry after keep
	// that has readable data after it, or -1: bytes Badger would discard
	// that a crash cannot explain.
	damagedAt, laterData int
}

// scanLogBytes replays data, calling fn for every entry Badger would
// keep, and reports what it would cut.
func scanLogBytes(data []byte, fn func(logEntry)) logScan {
	off, keep := logHeaderSize, logHeaderSize
	var pending []logEntry
	var txn uint64
loop:
	for off < len(data) {
		e, span, ok := parseLogEntry(data[off:])
		if !ok {
			break
		}
		switch {
		case e.meta&bitTxn != 0:
			ts := y.ParseTs(e.key)
			if txn == 0 {
				txn = ts
			}
			if txn != ts {
				break loop
			}
			pending = append(pending, e)
		case e.meta&bitFinTxn != 0:
			ts, err := strconv.ParseUint(string(e.value), 10, 64)
			if err != nil || ts != txn {
				break loop
			}
			for _, p := range pending {
				fn(p)
			}
			pending, txn, keep = pending[:0], 0, off+span
		default:
			if txn != 0 {
				break loop
			}
			fn(e)
			keep = off + span
		}
		off += span
	}
	return tailAfter(data, keep)
}

// tailAfter judges the bytes after keep. A crash leaves, after the last
// complete transaction, entries of one unfinished transaction and at most
// one torn entry, then zeros (the file is preallocated). Damage leaves
// intact entries (their checksums hold) after an unreadable one.
func tailAfter(data []byte, keep int) logScan {
	off := keep
	for off < len(data) {
		_, span, ok := parseLogEntry(data[off:])
		if ok {
			off += span
			continue
		}
		bad := off
		skip := off + max(span, 1)
		if span == 0 || skip > len(data) {
			skip = min(off+1, len(data))
		}
		if later := nextIntactEntry(data, skip); later >= 0 {
			return logScan{keep: keep, damagedAt: bad, laterData: later}
		}
		break
	}
	return logScan{keep: keep, damagedAt: -1}
}

// maxProbes bounds how many non-zero offsets after a torn entry are tried
// as the start of an entry.
const maxProbes = 1 << 20

// headerLead is how many zero bytes an entry's header may start with.
const headerLead = 16

// nextIntactEntry finds, at or after from, an entry whose checksum holds,
// or -1. Only such an entry proves damage: a crash in the middle of a
// write leaves the torn entry's own bytes (non-zero, but never a whole
// entry with a valid checksum) before the preallocated zeros, while bytes
// damaged in place leave the intact entries written after them.
func nextIntactEntry(data []byte, from int) int {
	pos := from
	for probes := 0; pos < len(data) && probes < maxProbes; probes++ {
		if data[pos] == 0 {
			// Jump over a run of zeros, landing a little before the next
			// non-zero byte: an entry may start with zero bytes.
			nz := firstNonZero(data[pos:])
			if nz < 0 {
				return -1
			}
			if nz > headerLead {
				pos += nz - headerLead
			}
		}
		if _, _, ok := parseLogEntry(data[pos:]); ok {
			return pos
		}
		pos++
	}
	return -1
}

var zeros = make([]byte, 64<<10)

// firstNonZero returns the offset of the first non-zero byte of b, or -1.
func firstNonZero(b []byte) int {
	for base := 0; base < len(b); base += len(zeros) {
		chunk := b[base:min(base+len(zeros), len(b))]
		if bytes.Equal(chunk, zeros[:len(chunk)]) {
			continue
		}
		for i, c := range chunk {
			if c != 0 {
				return base + i
			}
		}
	}
	return -1
}

// scanLog replays one log file of dir, calling fn for every entry Badger
// would keep, and fails if Badger would cut off readable data.
func scanLog(dir, name string, fn func(logEntry)) error {
	if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Size() <= logHeaderSize {
		return nil // created and not yet written when a crash came: nothing to lose
	}
	mf, err := openMmapReadOnly(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("open event store in %s: %w", dir, err)
	}
	defer func() { _ = mf.Close(-1) }()
	if len(mf.Data) <= logHeaderSize {
		return nil
	}
	sc := scanLogBytes(mf.Data, fn)
	if sc.damagedAt >= 0 {
		return corruptFile(dir, name, "is damaged at byte %d, and intact data follows at byte %d; Badger would cut the file at byte %d and lose it", sc.damagedAt, sc.laterData, sc.keep)
	}
	return nil
}

// checkLogTails checks the files Badger cuts at open: every write-ahead
// file and the newest value-log file.
func checkLogTails(dir string, files storeFiles) error {
	for fid := range files.mems {
		if err := scanLog(dir, memName(fid), func(logEntry) {}); err != nil {
			return err
		}
	}
	var newest uint32
	for fid := range files.vlogs {
		newest = max(newest, fid)
	}
	if newest == 0 {
		return nil
	}
	return scanLog(dir, vlogName(newest), func(logEntry) {})
}
