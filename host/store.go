package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/postgres"
)

// EventStore is what the host needs of its event store, whichever
// backend store.backend names: the log, where it ends, an online backup
// and the counters /metrics exports.
type EventStore interface {
	store.EventStore
	store.Positioner
	Backup(ctx context.Context, w io.Writer) error
	Stats() badger.Stats
}

// storeOpenTimeout bounds connecting to and migrating a PostgreSQL store
// when the host starts.
const storeOpenTimeout = 30 * time.Second

// ErrBackupUnsupported: the backend is backed up with its own tools.
var ErrBackupUnsupported = errors.New("backup is not done by openoma for this store backend")

// OpenStore opens the event store the configuration names: the embedded
// Badger store in data_dir (store.backend: badger), or a PostgreSQL
// database shared with other hosts (store.backend: postgres).
func OpenStore(ctx context.Context, cfg *config.Config, log hclog.Logger) (EventStore, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if cfg.Store.Backend != config.BackendPostgres {
		return badger.Open(StoreDir(cfg), StoreOptions(cfg, log))
	}
	p := cfg.Store.Postgres
	dsn := p.DSN
	if p.DSNFile != "" {
		b, err := os.ReadFile(p.DSNFile)
		if err != nil {
			return nil, fmt.Errorf("store.postgres.dsn_file: %w", err)
		}
		dsn = strings.TrimSpace(string(b))
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	defer cancel()
	s, err := postgres.Open(ctx, postgres.Options{
		DSN: dsn, Schema: p.Schema, Notify: p.Notify, PollInterval: p.PollInterval,
		Logger: log.Named("postgres"),
	})
	if err != nil {
		return nil, fmt.Errorf("store.backend postgres: %w", err)
	}
	return postgresStore{s}, nil
}

// postgresStore adapts the PostgreSQL store to EventStore.
type postgresStore struct{ *postgres.Store }

// Backup refuses: a consistent copy of a PostgreSQL store is pg_dump's
// job (see docs/operations.md), which also covers the other hosts' work.
func (s postgresStore) Backup(context.Context, io.Writer) error {
	return fmt.Errorf("%w: the store is in PostgreSQL; back it up with pg_dump (docs/operations.md, \"PostgreSQL\")", ErrBackupUnsupported)
}

// Stats reports the PostgreSQL store's counters in the shape /metrics
// exports for every backend.
func (s postgresStore) Stats() badger.Stats {
	st := s.Store.Stats()
	return badger.Stats{Appends: st.Appends, Events: st.Events, NoOps: st.NoOps, Commits: st.Commits}
}
