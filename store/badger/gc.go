package badger

import (
	"context"
	"errors"
	"fmt"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"
)

// runGC collects value-log garbage every GCInterval until Close.
func (s *Store) runGC() {
	defer close(s.gcDone)
	if s.opts.InMemory || s.opts.GCInterval < 0 {
		return
	}
	t := time.NewTicker(s.opts.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-s.gcStop:
			return
		case <-t.C:
			if _, err := s.collect(func() bool { return isClosed(s.gcStop) }); err != nil {
				s.opts.Logger.Warn("value-log garbage collection failed", "dir", s.dir, "error", err)
			}
		}
	}
}

// CollectGarbage runs value-log garbage collection now, rewriting every
// value-log file that is at least GCDiscardRatio garbage, and returns how
// many files it rewrote. The schedule (GCInterval) does the same.
func (s *Store) CollectGarbage(ctx context.Context) (int, error) {
	if err := s.readLock(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	if s.opts.InMemory {
		return 0, nil
	}
	return s.collect(func() bool { return ctx.Err() != nil })
}

// collect rewrites value-log files until Badger finds none worth it.
func (s *Store) collect(stop func() bool) (int, error) {
	n := 0
	for !stop() {
		// A rewrite writes a new value-log file first: on a nearly full
		// disk that is the write that would end in SIGBUS.
		if err := s.checkSpace(uint64(s.opts.ValueLogFileSize)); err != nil {
			return n, fmt.Errorf("value-log gc in %s: %w", s.dir, err)
		}
		err := s.db.RunValueLogGC(s.opts.GCDiscardRatio)
		switch {
		case err == nil:
			n++
		case errors.Is(err, dgbadger.ErrNoRewrite), errors.Is(err, dgbadger.ErrRejected):
			return n, nil
		default:
			return n, fmt.Errorf("value-log gc in %s: %w", s.dir, err)
		}
	}
	return n, nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
