package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenRetry bounds the pause between attempts to re-establish the
// LISTEN session after it broke.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// listen holds one session connection that LISTENs on the store's
// channel and wakes this process's subscriptions on every notification,
// until ctx ends. When the session breaks it reconnects with backoff and
// wakes everyone once it is back, since notifications sent meanwhile are
// lost; polling covers the gap in the meantime.
func (s *Store) listen(ctx context.Context) {
	defer close(s.listenerDone)
	retry := listenRetryMin
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() { retry = listenRetryMin })
		if ctx.Err() != nil {
			return
		}
		s.opts.Logger.Warn("postgres LISTEN session lost; subscriptions poll until it is back", "error", err, "retry_in", retry)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(2*retry, listenRetryMax)
	}
}

// listenOnce runs one LISTEN session until it fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context, connected func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool for good: it carries a LISTEN that
	// must not leak into another caller's session.
	raw := conn.Hijack()
	defer raw.Close(context.WithoutCancel(ctx))
	if _, err := raw.Exec(ctx, "LISTEN "+pgx.Identifier{s.q.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	s.wake() // anything appended while we were not listening
	for {
		if _, err := raw.WaitForNotification(ctx); err != nil {
			return err
		}
		s.wake()
	}
}
