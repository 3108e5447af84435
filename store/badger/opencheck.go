package badger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"

	"github.com/openoma/openoma/store"
)

// Badger "repairs" what it does not understand when it opens a directory
// for writing: it deletes every table file its MANIFEST does not list,
// cuts the newest value-log file and every write-ahead (.mem) file at the
// first entry it cannot read, and skips tables whose checksum fails. After
// a crash that is right — those are the leftovers of work that never
// committed — but after damage (a truncated MANIFEST, flipped bytes) it
// silently discards acknowledged events: issue 9 saw a 20-byte MANIFEST
// turn a full store into an empty one.
//
// checkBeforeOpen therefore looks at the directory first, changing
// nothing, and refuses (store.ErrCorrupt, naming the file) whenever what
// Badger would discard holds data that is not also somewhere it keeps:
//
//   - a missing or unreadable MANIFEST while table or log files exist;
//   - a table the MANIFEST lists that is missing, or fails its checksum
//     (every table is read once, so this replaces Badger's own
//     verification at open; a panic while reading one is recovered);
//   - a table the MANIFEST does not list that holds events found in no
//     listed table and no write-ahead file (a crash leaves only tables
//     whose events are, so those are let go);
//   - a value-log or write-ahead file with readable entries after the
//     first unreadable one (a crash leaves only a torn last entry);
//   - a value-log file the store knew at its last clean close that is gone
//     (see state.go).
func checkBeforeOpen(dir string, st storeState, verifyTables bool) error {
	files, err := listStoreFiles(dir)
	if err != nil {
		return err
	}
	if !files.manifest {
		if files.hasData() {
			return corruptFile(dir, dgbadger.ManifestFilename, "is missing, but the directory holds %s; Badger would start an empty store and delete them", files.describe())
		}
		return nil // a new store
	}
	mf, manifestEnd, err := replayManifest(dir)
	if err != nil {
		return err
	}
	if err := checkListedTables(dir, mf, files, verifyTables); err != nil {
		return err
	}
	if err := checkUnlistedTables(dir, mf, files, manifestEnd); err != nil {
		return err
	}
	if err := checkLogTails(dir, files); err != nil {
		return err
	}
	return checkKnownValueLogs(dir, st, files)
}

// corruptFile is the error for a damaged store file.
func corruptFile(dir, name, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s (store not opened, nothing changed; see `openoma-host verify` and docs/operations.md, \"Repairing a store\")",
		store.ErrCorrupt, filepath.Join(dir, name), fmt.Sprintf(format, args...))
}

// storeFiles is what Badger finds in the directory.
type storeFiles struct {
	manifest bool
	tables   map[uint64]int64 // id → size
	vlogs    map[uint32]int64 // fid → size
	mems     map[uint32]int64
}

func listStoreFiles(dir string) (storeFiles, error) {
	f := storeFiles{tables: map[uint64]int64{}, vlogs: map[uint32]int64{}, mems: map[uint32]int64{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return f, fmt.Errorf("open event store in %s: list directory: %w", dir, err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		name, size := e.Name(), info.Size()
		stem, ext, _ := strings.Cut(name, ".")
		n, numErr := strconv.ParseUint(stem, 10, 32)
		switch {
		case name == dgbadger.ManifestFilename:
			f.manifest = true
		case numErr != nil:
		case ext == "sst":
			f.tables[n] = size
		case ext == "vlog":
			f.vlogs[uint32(n)] = size
		case ext == "mem":
			f.mems[uint32(n)] = size
		}
	}
	return f, nil
}

// hasData reports whether any file could hold events: a table, or a log
// file longer than its header.
func (f storeFiles) hasData() bool {
	if len(f.tables) > 0 {
		return true
	}
	for _, m := range []map[uint32]int64{f.vlogs, f.mems} {
		for _, size := range m {
			if size > logHeaderSize {
				return true
			}
		}
	}
	return false
}

func (f storeFiles) describe() string {
	return fmt.Sprintf("%d table, %d value-log and %d write-ahead files", len(f.tables), len(f.vlogs), len(f.mems))
}

func tableName(id uint64) string { return fmt.Sprintf("%06d.sst", id) }
func memName(fid uint32) string  { return fmt.Sprintf("%05d.mem", fid) }

// replayManifest reads the MANIFEST read-only, as Badger would, and
// returns it with the offset where its last complete record ends.
func replayManifest(dir string) (dgbadger.Manifest, int64, error) {
	fp, err := os.Open(filepath.Join(dir, dgbadger.ManifestFilename))
	if err != nil {
		return dgbadger.Manifest{}, 0, fmt.Errorf("open event store in %s: %w", dir, err)
	}
	defer fp.Close()
	mf, end, err := dgbadger.ReplayManifestFile(fp, 0, dgbadger.DefaultOptions(dir))
	if err != nil {
		return mf, 0, corruptFile(dir, dgbadger.ManifestFilename, "cannot be read: %v", err)
	}
	return mf, end, nil
}

// checkListedTables opens and verifies every table the MANIFEST lists.
func checkListedTables(dir string, mf dgbadger.Manifest, files storeFiles, verify bool) error {
	mode := options.NoVerification
	if verify {
		mode = options.OnTableRead
	}
	ids := make([]uint64, 0, len(mf.Tables))
	for id := range mf.Tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, ok := files.tables[id]; !ok {
			return corruptFile(dir, tableName(id), "is listed in the MANIFEST (level %d) but missing", mf.Tables[id].Level)
		}
		t, err := openTable(dir, id, mf.Tables[id].Compression, mode)
		if err != nil {
			return corruptFile(dir, tableName(id), "is damaged: %v", err)
		}
		closeTable(t)
	}
	return nil
}

// openTable opens a table file read-only, verifying its checksums as
// mode says; a panic inside Badger's table code becomes an error.
func openTable(dir string, id uint64, c options.CompressionType, mode options.ChecksumVerificationMode) (t *table.Table, err error) {
	mf, err := openMmapReadOnly(filepath.Join(dir, tableName(id)))
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			_ = mf.Close(-1)
			t, err = nil, fmt.Errorf("unreadable (Badger's table decoder failed: %s)", strings.Join(strings.Fields(fmt.Sprint(r)), " "))
		}
	}()
	t, err = table.OpenTable(mf, table.Options{
		ReadOnly: true, ChkMode: mode, Compression: c,
		BlockSize: dgbadger.DefaultOptions("").BlockSize, BloomFalsePositive: dgbadger.DefaultOptions("").BloomFalsePositive,
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// closeTable unmaps a table opened by openTable. Never DecrRef: at zero
// references Badger deletes the file.
func closeTable(t *table.Table) { _ = t.MmapFile.Close(-1) }

// errNotCovered stops the scan of an unlisted table at the first event
// that nothing else holds.
var errNotCovered = errors.New("not covered")

// CheckFiles runs the checks Open runs before Badger may touch dir —
// every table read and verified, the MANIFEST against the directory, the
// tails of the log files, the value-log files known at the last clean
// close — and changes nothing. It holds dir's lock meanwhile, so it fails
// with ErrLocked while a host has the store open. `openoma-host verify`
// runs it before Store.Verify.
func CheckFiles(dir string, opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("check event store in %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer lock.release()
	st, err := readState(dir)
	if err != nil {
		return err
	}
	if err := checkBeforeOpen(dir, st, true); err != nil {
		return fmt.Errorf("check event store in %s: %w", dir, err)
	}
	return nil
}
