package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// subscriptionPage is how many events one read of a subscription fetches.
const subscriptionPage = 256

// Subscribe implements store.EventStore with a pull subscription: it reads
// the log at the subscriber's pace — by sequence for one execution, by
// position for the whole store — and when it has caught up waits for a
// wake-up (an append of this process, a NOTIFY from another) or, at the
// latest, the poll interval. Wake-ups carry no data; the reads decide
// what is delivered, so a lost or duplicated NOTIFY costs at most one
// poll interval of delay, never an event.
//
// Reading by position never skips an event: appends commit one at a time
// in position order (see append), so every snapshot holds positions
// 1…head without holes.
func (s *Store) Subscribe(ctx context.Context, opts store.SubscribeOptions) (store.Subscription, error) {
	if err := s.begin(ctx, "subscribe"); err != nil {
		return nil, err
	}
	return &subscription{s: s, exec: opts.ExecutionID, after: opts.After, closed: make(chan struct{})}, nil
}

type subscription struct {
	s    *Store
	exec uuid.UUID // uuid.Nil: the whole store

	mu    sync.Mutex // serialises Next
	after uint64     // sequence or position of the last event read
	buf   []execution.Event

	closeOnce sync.Once
	closed    chan struct{}
}

// Next implements store.Subscription.
func (sub *subscription) Next(ctx context.Context) (execution.Event, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for {
		if err := sub.stopped(ctx); err != nil {
			return execution.Event{}, err
		}
		if len(sub.buf) > 0 {
			ev := sub.buf[0]
			sub.buf = sub.buf[1:]
			return ev, nil
		}
		// Take the wake-up channel before reading, so an append that
		// commits between the read and the wait is not slept through.
		wake := sub.s.changes()
		if err := sub.fill(ctx); err != nil {
			return execution.Event{}, err
		}
		if len(sub.buf) > 0 {
			continue
		}
		poll := time.NewTimer(sub.s.opts.PollInterval)
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
		case <-sub.closed:
		case <-sub.s.done:
		}
		poll.Stop()
	}
}

// stopped reports why Next must return, if it must.
func (sub *subscription) stopped(ctx context.Context) error {
	select {
	case <-sub.closed:
		return fmt.Errorf("subscription: %w", store.ErrClosed)
	case <-sub.s.done:
		return fmt.Errorf("subscription: %w", store.ErrClosed)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	return nil
}

// fill reads the next page of events into buf.
func (sub *subscription) fill(ctx context.Context) error {
	s := sub.s
	query, args := s.q.eventsAtPage, []any{clampAfter(sub.after), subscriptionPage}
	if sub.exec != uuid.Nil {
		query, args = s.q.eventsAfterPage, []any{sub.exec, clampAfter(sub.after), subscriptionPage}
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return s.fail("subscription", err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return s.fail("subscription", err)
	}
	sub.buf = evs
	if n := len(evs); n > 0 {
		if sub.exec != uuid.Nil {
			sub.after = evs[n-1].Sequence
		} else {
			sub.after = evs[n-1].Position
		}
	}
	return nil
}

// Close implements store.Subscription; a blocked Next returns
// store.ErrClosed.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}
