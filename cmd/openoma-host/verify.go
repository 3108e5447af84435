package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/store/badger"
)

func newVerifyCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the event store's files and every stored event (daemon stopped)",
		Long: `verify checks the data directory's event store without repairing anything:
first its files, changing nothing (every table read and checksummed, the
MANIFEST against the directory, the ends of the log files, the value-log
files known at the last clean close), then, if they pass, every event
(checksum, sequences, indexes). It exits non-zero naming the first damaged
file, or the execution and sequence of the first damaged event.

The daemon must be stopped: the store admits one process at a time. See
docs/operations.md, "Repairing a store", for what to do with a failure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Store.Backend == config.BackendPostgres {
				return fmt.Errorf("verify checks the embedded Badger store; this host's events are in PostgreSQL (store.backend: postgres): check them with PostgreSQL's own tools")
			}
			if c, err := control.Dial(cmd.Context(), socketPath(cfg)); err == nil {
				c.Close()
				return fmt.Errorf("a daemon is serving %s: stop it to verify the store's files", cfg.DataDir)
			}
			dir, opts := host.StoreDir(cfg), host.StoreOptions(cfg, g.logger(cfg, "warn"))
			if err := badger.CheckFiles(dir, opts); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			opts.MinFreeSpace = -1 // verifying writes nothing worth refusing for
			s, err := badger.Open(dir, opts)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			rep, verr := s.Verify(cmd.Context())
			if err := errors.Join(verr, s.Close()); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			if g.json {
				return g.printJSON(map[string]any{"data_dir": cfg.DataDir, "ok": true, "executions": rep.Executions,
					"open_executions": rep.OpenExecutions, "events": rep.Events, "last_position": rep.LastPosition})
			}
			fmt.Fprintf(g.stdout, "%s: ok — %d executions (%d open), %d events, every file and checksum intact\n",
				dir, rep.Executions, rep.OpenExecutions, rep.Events)
			return nil
		},
	}
}
