package postgres

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Options configure a Store. The zero value plus a DSN is a working
// configuration.
type Options struct {
	// DSN is a libpq connection string or URL, e.g.
	// postgres://openoma:secret@db:5432/openoma?sslmode=verify-full.
	// pgx's own parameters are accepted too (pool_max_conns,
	// default_query_exec_mode=exec behind a transaction-pooling proxy).
	DSN string
	// Schema holds the store's tables; it is created if missing. Empty
	// means "openoma". Several independent stores may share one database
	// under different schemas.
	Schema string
	// Notify makes appends send a NOTIFY and subscriptions LISTEN for it,
	// so a subscriber in another process learns of an append at once. It
	// needs a session connection: turn it off behind a transaction-pooling
	// proxy (PgBouncer pool_mode=transaction), where subscriptions then
	// rely on polling alone.
	Notify bool
	// PollInterval is how often an idle subscription looks for events it
	// was not woken for (appends of other processes without Notify, or a
	// lost NOTIFY). Zero means one second.
	PollInterval time.Duration
	// Logger receives connection trouble of the LISTEN session; nil
	// discards it.
	Logger hclog.Logger
}

// DefaultSchema is the schema the store uses when Options.Schema is empty.
const DefaultSchema = "openoma"

const defaultPollInterval = time.Second

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.DSN == "" {
		return o, fmt.Errorf("postgres store: no DSN")
	}
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	if !schemaName.MatchString(o.Schema) {
		return o, fmt.Errorf("postgres store: schema %q: want lower-case letters, digits and _, not starting with a digit, at most 63", o.Schema)
	}
	if o.PollInterval < 0 {
		return o, fmt.Errorf("postgres store: poll interval %s is negative", o.PollInterval)
	}
	if o.PollInterval == 0 {
		o.PollInterval = defaultPollInterval
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o, nil
}
