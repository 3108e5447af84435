package badger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"

	"github.com/openoma/openoma/store"
)

var (
	// ErrLocked: another process (or another Store in this process) has
	// the data directory open. Badger allows one writer per directory.
	ErrLocked = errors.New("data directory is in use by another process")
	// ErrNotAStore: the directory holds a Badger database that is not an
	// openoma event store, or one in a format this version cannot read.
	ErrNotAStore = errors.New("not an openoma event store")
	// ErrWriteFailed: a commit failed (for example an fsync error); after
	// that the store refuses further appends, because what reached the disk
	// is unknown. Reopen the store to recover from its log.
	ErrWriteFailed = errors.New("event store write failed")
)

// Store is the Badger event store. Create it with Open or OpenInMemory;
// it implements store.EventStore.
type Store struct {
	db   *dgbadger.DB
	opts Options
	dir  string
	lock *dirLock

	// mu guards closed. Appends hold it shared while they enqueue and
	// reads while they use db, so Close (exclusive) waits for them.
	mu     sync.RWMutex
	closed bool
	// done is closed when Close begins; it wakes blocked subscribers.
	done chan struct{}

	queue      chan *writeRequest
	writerDone chan struct{}
	// entering counts Append calls on their way into the queue; the writer
	// waits a moment for them so that they join the current group commit.
	entering atomic.Int64
	// lastReleased and lastCommitTook describe the last commit; only the
	// writer goroutine touches them (see gather).
	lastReleased   int
	lastCommitTook time.Duration
	// lastPos is the highest committed position.
	lastPos atomic.Uint64
	// broken is set once a commit failed; see ErrWriteFailed.
	broken atomic.Pointer[error]

	notifyMu sync.Mutex
	notify   chan struct{} // closed and replaced after every commit

	gcStop chan struct{}
	gcDone chan struct{}

	stats counters
}

var (
	_ store.EventStore = (*Store)(nil)
	_ store.Positioner = (*Store)(nil)
)

// Open opens (creating if needed) the event store in dir. It fails at once
// with ErrLocked if another process holds dir, and with store.ErrCorrupt,
// naming the file, if the directory is damaged in a way Badger would
// "repair" by discarding data (see checkBeforeOpen): nothing in dir is
// changed or deleted then.
func Open(dir string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{opts: opts, dir: dir}
	var st storeState
	if !opts.InMemory {
		if dir == "" {
			return nil, errors.New("open event store: no data directory given")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open event store: create data directory: %w", err)
		}
		if s.lock, err = lockDir(dir); err != nil {
			return nil, err
		}
		if st, err = s.checkDir(); err != nil {
			s.lock.release()
			return nil, err
		}
	}
	if s.db, err = openBadger(dir, opts); err != nil {
		s.lock.release()
		return nil, err
	}
	if err := s.init(st); err != nil {
		_ = s.db.Close()
		s.lock.release()
		return nil, fmt.Errorf("open event store in %s: %w", s.where(), err)
	}
	s.start()
	return s, nil
}

// checkDir runs the checks that must pass before Badger may touch dir:
// enough free space for Badger's first writes, and nothing it would
// discard.
func (s *Store) checkDir() (storeState, error) {
	if err := s.checkOpenSpace(); err != nil {
		return storeState{}, err
	}
	st, err := readState(s.dir)
	if err != nil {
		return st, err
	}
	if err := checkBeforeOpen(s.dir, st, !s.opts.SkipTableVerification); err != nil {
		return st, fmt.Errorf("open event store in %s: %w", s.dir, err)
	}
	return st, nil
}

// openBadger opens the database. Tables were verified by checkBeforeOpen
// (which maps each one, reads it and unmaps it again, so the pages read
// do not stay in the process's RSS); Badger checks blocks as it reads them.
func openBadger(dir string, opts Options) (db *dgbadger.DB, err error) {
	defer recovered(&err, "open event store in "+dir)
	db, err = dgbadger.Open(opts.badgerOptions(dir))
	if err != nil {
		return nil, badgerOpenError(dir, err)
	}
	if !opts.InMemory && !opts.SkipTableVerification {
		// Verifying every table allocated block buffers that are garbage
		// now; hand them back rather than let an idle host keep them.
		debug.FreeOSMemory()
	}
	return db, nil
}

func badgerOpenError(dir string, err error) error {
	if strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return fmt.Errorf("open event store in %s: %w: %v", dir, ErrLocked, err)
	}
	return fmt.Errorf("open event store in %s: badger: %w", dir, err)
}

// OpenInMemory opens a store that keeps everything in memory; for tests.
func OpenInMemory(opts Options) (*Store, error) {
	opts.InMemory = true
	return Open("", opts)
}

// init checks or writes the format marker, loads the last position and
// checks it against the state file: a store that closed cleanly never
// opens with fewer events than it had. It then marks the store open.
func (s *Store) init(st storeState) error {
	if err := s.checkFormat(); err != nil {
		return err
	}
	if err := s.loadLastPosition(); err != nil {
		return err
	}
	if s.opts.InMemory {
		return nil
	}
	if last := s.lastPos.Load(); st.Clean && last < st.LastPosition {
		return fmt.Errorf("%w: the store closed at position %d (%s) but opens at %d: events are missing; see `openoma-host verify`",
			store.ErrCorrupt, st.LastPosition, st.Written.Format(time.RFC3339), last)
	}
	return s.saveState(false)
}

// saveState records the value-log files and last position in the state
// file (see state.go).
func (s *Store) saveState(clean bool) error {
	logs, err := valueLogNames(s.dir)
	if err != nil {
		return err
	}
	if err := writeState(s.dir, storeState{Clean: clean, LastPosition: s.lastPos.Load(), ValueLogs: logs}); err != nil {
		return fmt.Errorf("write %s: %w", stateFile, err)
	}
	return nil
}

func (s *Store) checkFormat() error {
	return s.db.Update(func(txn *dgbadger.Txn) error {
		item, err := txn.Get(formatKey)
		if errors.Is(err, dgbadger.ErrKeyNotFound) {
			if !isEmpty(txn) {
				return fmt.Errorf("%w: the directory holds other Badger data", ErrNotAStore)
			}
			return txn.Set(formatKey, []byte(formatVersion))
		}
		if err != nil {
			return fmt.Errorf("read format marker: %w", err)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("read format marker: %w", err)
		}
		if string(v) != formatVersion {
			return fmt.Errorf("%w: format %q, this version reads %q", ErrNotAStore, v, formatVersion)
		}
		return nil
	})
}

func isEmpty(txn *dgbadger.Txn) bool {
	opts := dgbadger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := txn.NewIterator(opts)
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// loadLastPosition finds the highest stored position by reverse seek on the
// position log.
func (s *Store) loadLastPosition() error {
	return s.db.View(func(txn *dgbadger.Txn) error {
		opts := dgbadger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Reverse = true
		opts.Prefix = []byte{nsPosition}
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Seek(positionKey(^uint64(0)))
		if it.Valid() {
			s.lastPos.Store(positionOfKey(it.Item().Key()))
		} else {
			s.lastPos.Store(0)
		}
		return nil
	})
}

func (s *Store) start() {
	s.done = make(chan struct{})
	s.notify = make(chan struct{})
	s.queue = make(chan *writeRequest, s.opts.MaxBatchAppends)
	s.writerDone = make(chan struct{})
	go s.runWriter()
	s.gcStop = make(chan struct{})
	s.gcDone = make(chan struct{})
	go s.runGC()
}

// where names the store in errors.
func (s *Store) where() string {
	if s.opts.InMemory {
		return "memory"
	}
	return s.dir
}

// Close stops the writer (after it finished what was queued), the GC and
// every subscription, and closes the database. It is safe to call twice.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	close(s.queue)
	s.mu.Unlock()

	<-s.writerDone
	close(s.gcStop)
	<-s.gcDone
	err := s.db.Close()
	if err == nil && !s.opts.InMemory && s.broken.Load() == nil {
		err = s.saveState(true)
	}
	s.lock.release()
	if err != nil {
		return fmt.Errorf("close event store in %s: %w", s.where(), err)
	}
	return nil
}

// readLock holds the store open for a read; release with s.mu.RUnlock.
func (s *Store) readLock() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// changed returns a channel closed at the next commit.
func (s *Store) changed() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notify
}

func (s *Store) broadcast() {
	s.notifyMu.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyMu.Unlock()
}

// checkCtx reports ctx's error, wrapped with what was interrupted.
func checkCtx(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
