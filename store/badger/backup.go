package badger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotEmpty: Restore was called on a store that already holds events.
var ErrNotEmpty = errors.New("store is not empty")

// Backup writes a full, consistent snapshot of the store to w: Badger's
// stream backup inside an envelope with a checksum (see backupformat.go).
// Appends continue while it runs; the snapshot is the state when it
// began.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	if err := s.readLock(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	bw, err := newBackupWriter(ctxWriter{ctx: ctx, w: w})
	if err == nil {
		_, err = s.db.Backup(bw, 0)
	}
	if err == nil {
		err = bw.finish()
	}
	if err != nil {
		return fmt.Errorf("backup of event store in %s: %w", s.where(), err)
	}
	return nil
}

// Restore loads a backup written by Backup into this store, which must be
// empty (freshly created). No append runs while it loads; the data is
// synced to disk before Restore returns. Every frame is checked before
// Badger sees it, and the checksum at the end: a damaged or truncated
// backup fails with ErrBadBackup (after loading what came before the
// damage). Prefer RestoreDir, which checks the whole backup first and
// leaves nothing behind when it fails.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	err := s.runExclusive(ctx, func() (err error) {
		defer recovered(&err, "load")
		if s.lastPos.Load() != 0 {
			return ErrNotEmpty
		}
		br, err := newBackupReader(ctxReader{ctx: ctx, r: r})
		if err != nil {
			return err
		}
		if err := s.db.Load(br, 16); err != nil {
			if br.err != nil {
				return br.err
			}
			return fmt.Errorf("load: %w", err)
		}
		if br.err != nil || !br.finished {
			return errors.Join(ErrBadBackup, br.err)
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

// RestoreDir restores the backup read from src into a new store at dir.
// It checks the whole backup first (CheckBackup) and fails, creating
// nothing, if it is not complete and intact; it then restores into a
// temporary directory beside dir, verifies the result, and renames it to
// dir only when all of that succeeded. dir must not exist, or hold an
// empty store (ErrNotEmpty otherwise). The parent of dir must exist.
func RestoreDir(ctx context.Context, src io.ReadSeeker, dir string, opts Options) (BackupInfo, error) {
	info, err := CheckBackup(src)
	if err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	replace, err := emptyStoreAt(dir, opts)
	if err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".restoring-")
	if err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	if err := restoreInto(ctx, src, tmp, opts); err != nil {
		_ = os.RemoveAll(tmp)
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	if replace {
		if err := os.RemoveAll(dir); err != nil {
			_ = os.RemoveAll(tmp)
			return info, fmt.Errorf("restore into %s: remove the empty store: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	return info, nil
}

// emptyStoreAt reports whether dir holds an (empty) store that a restore
// replaces; it fails if dir holds events or anything that is not a store.
func emptyStoreAt(dir string, opts Options) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	s, err := Open(dir, opts)
	if err != nil {
		return false, err
	}
	last := s.lastPos.Load()
	if err := s.Close(); err != nil {
		return false, err
	}
	if last != 0 {
		return false, fmt.Errorf("%w: it holds %d events", ErrNotEmpty, last)
	}
	return true, nil
}

func restoreInto(ctx context.Context, src io.Reader, dir string, opts Options) error {
	s, err := Open(dir, opts)
	if err != nil {
		return err
	}
	err = s.Restore(ctx, src)
	if err == nil {
		_, err = s.Verify(ctx)
	}
	return errors.Join(err, s.Close())
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
