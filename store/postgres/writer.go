package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Limits of one group commit: how many appends, and roughly how many
// events, one transaction carries, and how long it may take before it is
// given up (a server that stopped answering must not hold every append of
// the process for longer than a caller would wait).
const (
	maxGroupAppends = 256
	maxGroupEvents  = 2048
	groupTimeout    = 30 * time.Second
	rollbackTimeout = 5 * time.Second
)

// appendRequest is one Append waiting for the writer.
type appendRequest struct {
	ctx    context.Context
	events []execution.Event
	opts   store.AppendOptions
	fence  *store.Lease
	op     string // how errors name the call
	done   chan appendResult
	// fromLog is set by the writer when the request was a retry answered
	// from stored events.
	fromLog bool
}

type appendResult struct {
	events []execution.Event
	err    error
}

// writer is the one goroutine of a Store that writes appends. It takes
// every append that is waiting, judges and writes them all in one
// transaction under the head lock (group.go), commits once and then
// answers each caller. Appends from one process therefore share a WAL
// flush instead of queueing one commit each behind the head lock, which
// every process's appends must take in turn.
func (s *Store) writer(ctx context.Context) {
	defer close(s.writerDone)
	for {
		var first *appendRequest
		select {
		case first = <-s.requests:
		case <-ctx.Done():
			return
		}
		group := []*appendRequest{first}
		events := len(first.events)
	drain:
		for len(group) < maxGroupAppends && events < maxGroupEvents {
			select {
			case r := <-s.requests:
				group = append(group, r)
				events += len(r.events)
			default:
				break drain
			}
		}
		s.commitGroup(ctx, group)
	}
}

// commitGroup runs one group transaction and answers its requests. A
// request's own verdict (invalid, conflict, final, fenced) stands only if
// the transaction it was judged in commits: judged against writes that
// then rolled back, it would describe a log that never existed, so on a
// failed transaction every request gets the failure.
func (s *Store) commitGroup(ctx context.Context, group []*appendRequest) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- appendResult{err: fmt.Errorf("%s: %w", r.op, err)}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	var results []appendResult
	published := 0
	ctx, cancel := context.WithTimeout(ctx, groupTimeout)
	defer cancel()
	err := s.inConnection(ctx, func(conn *pgxpool.Conn) error {
		var err error
		results, published, err = s.groupTx(ctx, conn, live)
		return err
	})
	if err != nil {
		err = s.groupFailure(err)
		for _, r := range live {
			r.done <- appendResult{err: fmt.Errorf("%s: %w", r.op, err)}
		}
		return
	}
	// Count and wake before answering, so a caller that sees its append
	// acknowledged also sees it in Stats and in its subscriptions.
	s.countGroup(live, results)
	if published > 0 {
		s.wake()
	}
	for i, r := range live {
		r.done <- results[i]
	}
}

// inConnection runs a group transaction on one pooled connection and
// rolls it back if fn fails. A connection left in an unknown state is not
// reused: the pool discards a connection released inside a transaction.
func (s *Store) inConnection(ctx context.Context, fn func(conn *pgxpool.Conn) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := fn(conn); err != nil {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
		return err
	}
	return nil
}

// groupFailure words a failed group transaction.
func (s *Store) groupFailure(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		// The head lock makes this unreachable; say what it would mean.
		return fmt.Errorf("%w: another writer stored the same sequence or id: %v", store.ErrConflict, err)
	}
	if s.isClosed() || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w (%v)", store.ErrClosed, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// Not the caller's deadline: say whose it was.
		return fmt.Errorf("the group transaction did not finish within %s (is the server reachable?): %v", groupTimeout, err)
	}
	return err
}

// countGroup records a committed group in the stats.
func (s *Store) countGroup(group []*appendRequest, results []appendResult) {
	s.stats.commits.Add(1)
	for i, res := range results {
		switch {
		case res.err != nil:
		case group[i].fromLog:
			s.stats.noops.Add(1)
		default:
			s.stats.appends.Add(1)
			s.stats.events.Add(uint64(len(res.events)))
		}
	}
}
