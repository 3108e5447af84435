package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openoma/openoma/store"
)

// Store is a store.EventStore, store.Positioner and store.Leaser on
// PostgreSQL. Several processes may open the same database and schema at
// once; they share one log. All methods are safe for concurrent use.
type Store struct {
	opts Options
	pool *pgxpool.Pool
	q    queries

	stats counters

	// changed is closed (and replaced) whenever this process learns that
	// the log may have grown — its own commit, or a NOTIFY — to wake its
	// subscriptions.
	mu      sync.Mutex
	changed chan struct{}

	// done is closed by Close; closing guards it.
	closing sync.Once
	done    chan struct{}
	// requests carries appends to the writer goroutine (writer.go).
	requests   chan *appendRequest
	writerDone chan struct{}
	// listenerDone is closed when the LISTEN goroutine has returned.
	listenerDone chan struct{}
	// stopBackground ends the writer's transaction and the listener.
	stopBackground context.CancelFunc
}

var (
	_ store.EventStore = (*Store)(nil)
	_ store.Positioner = (*Store)(nil)
	_ store.Leaser     = (*Store)(nil)
)

// Open connects to the database, creates or migrates the schema (see
// migrate) and, with Options.Notify, starts listening for other
// processes' appends. ctx bounds the connection and the migration only.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(opts.DSN)
	if err != nil {
		// pgx's message may quote the DSN, password included; say only
		// what kind of problem it is.
		return nil, fmt.Errorf("postgres store: the DSN does not parse: %w", redactedError{err})
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: connect to %s: %w", describeTarget(cfg), err)
	}
	if _, err := migrate(ctx, pool, opts.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store on %s: %w", describeTarget(cfg), err)
	}
	s := &Store{
		opts:         opts,
		pool:         pool,
		q:            newQueries(opts.Schema),
		changed:      make(chan struct{}),
		done:         make(chan struct{}),
		listenerDone: make(chan struct{}),
		requests:     make(chan *appendRequest),
		writerDone:   make(chan struct{}),
	}
	background, cancel := context.WithCancel(context.Background())
	s.stopBackground = cancel
	go s.writer(background)
	if opts.Notify {
		go s.listen(background)
	} else {
		close(s.listenerDone)
	}
	return s, nil
}

// Close stops the writer and the listener and closes the connection
// pool. Appends the writer holds fail with store.ErrClosed (their
// transaction rolls back); subscriptions waiting in Next return
// store.ErrClosed; later calls fail with it. Closing twice is harmless.
func (s *Store) Close() error {
	s.closing.Do(func() {
		close(s.done)
		s.stopBackground()
		<-s.writerDone
		<-s.listenerDone
		s.pool.Close()
	})
	return nil
}

// isClosed reports whether Close was called.
func (s *Store) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// begin checks that the store is open and ctx alive before a call.
func (s *Store) begin(ctx context.Context, op string) error {
	if s.isClosed() {
		return fmt.Errorf("%s: %w", op, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// fail wraps a database error of op, turning the errors of a pool closed
// under the call into store.ErrClosed.
func (s *Store) fail(op string, err error) error {
	if s.isClosed() && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("%s: %w (%v)", op, store.ErrClosed, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// wake tells this process's subscriptions that the log may have grown.
func (s *Store) wake() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// changes returns the channel the next wake closes.
func (s *Store) changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// describeTarget names the server a pool talks to, without credentials.
func describeTarget(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// redactedError keeps an error's identity but not its text, which may
// hold a password.
type redactedError struct{ err error }

func (r redactedError) Error() string { return "check its syntax (not shown: it may hold a password)" }
func (r redactedError) Unwrap() error { return r.err }
