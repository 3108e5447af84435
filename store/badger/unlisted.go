package badger

import (
	"fmt"
	"os"
	"slices"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2/z"
)

// Badger's entry flags (badger v4.9.6 value.go): we read them from tables
// and write-ahead files.
const (
	bitDelete byte = 1 << 0
	bitTxn    byte = 1 << 6
	bitFinTxn byte = 1 << 7
)

func openMmapReadOnly(path string) (*z.MmapFile, error) {
	return z.OpenMmapFile(path, os.O_RDONLY, 0)
}

// checkUnlistedTables decides about the tables Badger would delete: those
// the MANIFEST does not list. After a crash they are a flush or compaction
// that never reached the MANIFEST (their events are still in the
// write-ahead files or the input tables) or the inputs of one that did
// (their events are in its outputs). Any event found in none of those
// would be lost, so the store refuses to open.
func checkUnlistedTables(dir string, mf dgbadger.Manifest, files storeFiles, manifestEnd int64) error {
	var unlisted []uint64
	for id := range files.tables {
		if _, ok := mf.Tables[id]; !ok {
			unlisted = append(unlisted, id)
		}
	}
	if len(unlisted) == 0 {
		return nil
	}
	slices.Sort(unlisted)
	cov, err := newCoverage(dir, mf, files)
	if err != nil {
		return err
	}
	defer cov.close()
	for _, id := range unlisted {
		t, err := openTable(dir, id, options.Snappy, options.OnTableRead)
		if err != nil {
			// Half written when the process died: it never held
			// anything the store acknowledged.
			continue
		}
		missing, first := cov.uncovered(t)
		closeTable(t)
		if missing > 0 {
			return corruptFile(dir, tableName(id), "is not listed in the MANIFEST (%s) and holds %d events found in no listed table or write-ahead file (the first: event %d of execution %s); Badger would delete it",
				manifestSummary(mf, manifestEnd, files), missing, seqOfEventKey(first), execOfEventKey(first))
		}
	}
	return nil
}

func manifestSummary(mf dgbadger.Manifest, end int64, files storeFiles) string {
	return fmt.Sprintf("it lists %d of the %d table files and ends after %d bytes", len(mf.Tables), len(files.tables), end)
}

// coverage answers "is this event stored anywhere Badger keeps?": in a
// listed table or a write-ahead file.
type coverage struct {
	tables []*table.Table
	iters  []*table.Iterator
	inWAL  map[string]bool
}

func newCoverage(dir string, mf dgbadger.Manifest, files storeFiles) (*coverage, error) {
	c := &coverage{inWAL: map[string]bool{}}
	for id, tm := range mf.Tables {
		t, err := openTable(dir, id, tm.Compression, options.NoVerification)
		if err != nil {
			c.close()
			return nil, corruptFile(dir, tableName(id), "is damaged: %v", err)
		}
		c.tables = append(c.tables, t)
		c.iters = append(c.iters, t.NewIterator(0))
	}
	for fid := range files.mems {
		err := scanLog(dir, memName(fid), func(e logEntry) {
			if e.meta&bitDelete == 0 && len(e.key) == 25+8 && e.key[0] == nsEvent {
				c.inWAL[string(y.ParseKey(e.key))] = true
			}
		})
		if err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// uncovered counts t's events that no listed table or write-ahead file
// holds, and returns the first such key.
func (c *coverage) uncovered(t *table.Table) (int, []byte) {
	it := t.NewIterator(0)
	defer it.Close()
	missing := 0
	var first []byte
	for it.Rewind(); it.Valid(); it.Next() {
		key := y.ParseKey(it.Key())
		if len(key) != 25 || key[0] != nsEvent || it.Value().Meta&bitDelete != 0 {
			continue
		}
		if !c.has(key) {
			if missing == 0 {
				first = slices.Clone(key)
			}
			missing++
		}
	}
	return missing, first
}

func (c *coverage) has(key []byte) bool {
	if c.inWAL[string(key)] {
		return true
	}
	hash := y.Hash(key)
	for i, t := range c.tables {
		if t.DoesNotHave(hash) {
			continue
		}
		it := c.iters[i]
		it.Seek(y.KeyWithTs(key, ^uint64(0)))
		if it.Valid() && y.SameKey(it.Key(), y.KeyWithTs(key, 0)) && it.Value().Meta&bitDelete == 0 {
			return true
		}
	}
	return false
}

func (c *coverage) close() {
	for _, it := range c.iters {
		_ = it.Close()
	}
	for _, t := range c.tables {
		closeTable(t)
	}
}
