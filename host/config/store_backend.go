package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Event store backends (store.backend).
const (
	// BackendBadger is the embedded store in data_dir: one host, no server.
	BackendBadger = "badger"
	// BackendPostgres is a PostgreSQL database that several hosts share.
	BackendPostgres = "postgres"
)

// Postgres configures the PostgreSQL event store (store.backend: postgres).
type Postgres struct {
	// DSN is a libpq connection string or URL. Prefer DSNFile or the
	// environment (OPENOMA_STORE_POSTGRES_DSN) for one with a password.
	DSN string `mapstructure:"dsn"`
	// DSNFile names a file whose content (trimmed) is the DSN.
	DSNFile string `mapstructure:"dsn_file"`
	// Schema holds the store's tables; created when missing.
	Schema string `mapstructure:"schema"`
	// Notify sends and listens for a NOTIFY on every append, so hosts see
	// each other's events at once. Turn it off behind a transaction-pooling
	// proxy (PgBouncer pool_mode=transaction); hosts then poll.
	Notify bool `mapstructure:"notify"`
	// PollInterval is how often an idle subscription looks for events it
	// was not notified of.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// defaultPostgres are the defaults of the store.postgres keys.
func defaultPostgres() Postgres {
	return Postgres{Schema: "openoma", Notify: true, PollInterval: time.Second}
}

var postgresSchema = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// validateStoreBackend checks store.backend and, for PostgreSQL, the
// store.postgres keys.
func (c *Config) validateStoreBackend() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if !slices.Contains([]string{BackendBadger, BackendPostgres}, c.Store.Backend) {
		bad("store.backend", "%q is not one of %s, %s", c.Store.Backend, BackendBadger, BackendPostgres)
	}
	if c.Store.Backend != BackendPostgres {
		return errs
	}
	p := c.Store.Postgres
	switch {
	case p.DSN == "" && p.DSNFile == "":
		bad("store.postgres.dsn", "must be set (or store.postgres.dsn_file) when store.backend is postgres")
	case p.DSN != "" && p.DSNFile != "":
		bad("store.postgres.dsn_file", "set store.postgres.dsn or store.postgres.dsn_file, not both")
	}
	if !postgresSchema.MatchString(p.Schema) {
		bad("store.postgres.schema", "%q: want lower-case letters, digits and _, not starting with a digit, at most 63", p.Schema)
	}
	if p.PollInterval <= 0 {
		bad("store.postgres.poll_interval", "must be positive, got %s", p.PollInterval)
	}
	return errs
}
