package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/store/badger"
)

func newBackupCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent snapshot of the event store to FILE (- for stdout)",
		Long: `backup writes the whole event log — a consistent snapshot as of the moment it
starts — in Badger's backup format. It works while the daemon runs (through
the control API, appends continue meanwhile) and without one. The file is
written beside FILE and renamed into place only when complete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, s, err := g.session(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			if args[0] == "-" {
				return s.Backup(cmd.Context(), g.stdout)
			}
			n, err := writeAtomically(args[0], func(w io.Writer) error { return s.Backup(cmd.Context(), w) })
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]any{"file": args[0], "bytes": n})
			}
			fmt.Fprintf(g.stdout, "backup of %s written to %s (%d bytes)\n", g.target(cfg), args[0], n)
			return nil
		},
	}
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeAtomically writes a file through a temporary sibling, fsynced and
// renamed, so a failed or interrupted backup never leaves a partial file
// under the final name.
func writeAtomically(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	cw := &countingWriter{w: tmp}
	if err := write(cw); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return cw.n, os.Rename(tmp.Name(), path)
}

func newRestoreCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Load a backup into an empty data directory (daemon stopped)",
		Long: `restore loads a file written by backup into the configured data directory,
which must hold no events yet: restoring never merges into or overwrites an
existing log. The daemon must not be running.

The whole file is checked first (its format, every frame, its checksum); a
damaged or truncated backup is refused before anything is created. The store
is then restored into a temporary directory beside the target, verified, and
renamed into place only when all of that succeeded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Store.Backend == config.BackendPostgres {
				return usage(fmt.Errorf("store.backend is postgres: restore loads a Badger backup into a data directory; restore a PostgreSQL store with pg_restore (docs/operations.md)"))
			}
			if c, err := control.Dial(cmd.Context(), socketPath(cfg)); err == nil {
				c.Close()
				return fmt.Errorf("a daemon is serving %s: stop it before restoring", cfg.DataDir)
			}
			info, err := restoreFile(cmd.Context(), g, cfg, args[0])
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]any{"file": args[0], "data_dir": cfg.DataDir, "keys": info.Keys, "bytes": info.Bytes, "checksummed": info.Checksummed})
			}
			fmt.Fprintf(g.stdout, "restored %s into %s (%d keys)\n", args[0], cfg.DataDir, info.Keys)
			if !info.Checksummed {
				fmt.Fprintln(g.stdout, "note: this backup predates backup checksums; only its structure could be checked")
			}
			return nil
		},
	}
}

// restoreFile checks the backup, then restores it; it creates the data
// directory only for a backup that passed the check, and removes it again
// if the restore fails.
func restoreFile(ctx context.Context, g *globals, cfg *config.Config, file string) (badger.BackupInfo, error) {
	f, err := os.Open(file)
	if err != nil {
		return badger.BackupInfo{}, err
	}
	defer f.Close()
	if _, err := badger.CheckBackup(f); err != nil {
		return badger.BackupInfo{}, fmt.Errorf("restore %s: %w; nothing was restored", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return badger.BackupInfo{}, err
	}
	_, statErr := os.Stat(cfg.DataDir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return badger.BackupInfo{}, err
	}
	info, err := badger.RestoreDir(ctx, f, host.StoreDir(cfg), host.StoreOptions(cfg, g.logger(cfg, "warn")))
	if err != nil {
		if created {
			_ = os.Remove(cfg.DataDir) // only if still empty
		}
		if errors.Is(err, badger.ErrNotEmpty) {
			return info, fmt.Errorf("restore into %s: it already holds events; restore into an empty data directory", cfg.DataDir)
		}
		return info, fmt.Errorf("restore %s into %s: %w", file, cfg.DataDir, err)
	}
	return info, nil
}
