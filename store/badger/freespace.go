package badger

import (
	"fmt"
	"syscall"

	"github.com/openoma/openoma/store"
)

// Badger writes its write-ahead and value-log files through mmap: on a
// full disk a write into a page the filesystem cannot back kills the
// process with SIGBUS (issue 9 saw it in valueLog.write), and nothing
// returns an error first. The store therefore checks free space itself,
// before each commit and before Badger opens the directory, and refuses
// with store.ErrNoSpace while less than Options.MinFreeSpace (plus what
// the commit will write) is free.

// freeBytes reports the bytes available to this process on dir's
// filesystem.
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// noSpace is the error for a disk below the floor.
func (s *Store) noSpace(free, need uint64) error {
	return fmt.Errorf("%w: disk full: %d MiB free on %s, the store needs %d MiB free to write (store option min_free_space); free some space and the append can be retried",
		store.ErrNoSpace, free>>20, s.dir, (need+(1<<20)-1)>>20)
}

// checkSpace refuses a commit of about pending bytes when it would leave
// less than MinFreeSpace free.
func (s *Store) checkSpace(pending uint64) error {
	if s.opts.InMemory || s.opts.MinFreeSpace < 0 {
		return nil
	}
	free, err := freeBytes(s.dir)
	if err != nil {
		return nil // no figure to act on: let Badger try
	}
	need := uint64(s.opts.MinFreeSpace) + pending
	if free < need {
		return s.noSpace(free, need)
	}
	return nil
}

// checkOpenSpace refuses to open on a disk without room for what Badger
// writes at open (a new write-ahead file and value-log header, and the
// flush of the memtables it replays).
func (s *Store) checkOpenSpace() error {
	if s.opts.MinFreeSpace < 0 {
		return nil
	}
	free, err := freeBytes(s.dir)
	if err != nil {
		return nil
	}
	need := uint64(s.opts.MemTableSize) * uint64(s.opts.NumMemtables+1)
	if free < need {
		return fmt.Errorf("open event store in %s: %w", s.dir, s.noSpace(free, need))
	}
	return nil
}

// batchBytes estimates what committing reqs writes: the encoded events
// (in the write-ahead file or the value log) and their index entries.
func batchBytes(reqs []*writeRequest) uint64 {
	var n uint64
	for _, r := range reqs {
		for _, ev := range r.events {
			n += uint64(len(ev.Payload)+len(ev.EventType)) + 256
		}
	}
	return n
}

// refuseIfFull answers every request of batch with ErrNoSpace when the
// disk is too full to commit it, and reports whether it did.
func (s *Store) refuseIfFull(batch []*writeRequest) bool {
	if len(batch) == 0 {
		return false
	}
	err := s.checkSpace(batchBytes(batch))
	if err == nil {
		return false
	}
	s.stats.noSpace.Add(uint64(len(batch)))
	for _, r := range batch {
		r.reply <- writeResult{err: err}
	}
	return true
}
