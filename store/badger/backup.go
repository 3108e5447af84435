package badger

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrNotEmpty: Restore was called on a store that already holds events.
var ErrNotEmpty = errors.New("store is not empty")

// Backup writes a full, consistent snapshot of the store to w in Badger's
// backup format (a stream of protobuf key-value lists). Appends continue
// while it runs; the snapshot is the state when it began.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	if err := s.readLock(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if _, err := s.db.Backup(ctxWriter{ctx: ctx, w: w}, 0); err != nil {
		return fmt.Errorf("backup of event store in %s: %w", s.where(), err)
	}
	return nil
}

// Restore loads a backup written by Backup into this store, which must be
// empty (freshly created). No append runs while it loads; the data is
// synced to disk before Restore returns. If Restore fails, the store may
// hold part of the backup: discard its directory and start again.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	err := s.runExclusive(ctx, func() error {
		if s.lastPos.Load() != 0 {
			return ErrNotEmpty
		}
		if err := s.db.Load(ctxReader{ctx: ctx, r: r}, 16); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		if err := s.checkFormat(); err != nil {
			return fmt.Errorf("restored data: %w", err)
		}
		if err := s.loadLastPosition(); err != nil {
			return err
		}
		if !s.opts.InMemory {
			if err := s.db.Sync(); err != nil {
				return fmt.Errorf("sync: %w", err)
			}
		}
		s.broadcast()
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore of event store in %s: %w", s.where(), err)
	}
	return nil
}

// ctxWriter and ctxReader stop a backup or restore when ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
