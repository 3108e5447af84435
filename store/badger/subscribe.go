package badger

import (
	"context"
	"fmt"
	"sync"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// subscriptionPage is how many events one read of a subscription fetches.
const subscriptionPage = 256

// Subscribe starts a pull subscription. It reads the store at the
// subscriber's own pace — by sequence for one execution, by position for
// the whole store — and waits for the writer's broadcast when it has caught
// up, so a slow subscriber holds nothing the writer needs.
func (s *Store) Subscribe(ctx context.Context, opts store.SubscribeOptions) (store.Subscription, error) {
	if err := checkCtx(ctx, "subscribe"); err != nil {
		return nil, err
	}
	if err := s.readLock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
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

// Next returns the next event, waiting for one if the subscriber has
// caught up.
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
		// Take the wake-up channel before reading, so a commit between the
		// read and the wait is not missed.
		wake := sub.s.changed()
		if err := sub.fill(ctx); err != nil {
			return execution.Event{}, err
		}
		if len(sub.buf) > 0 {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
		case <-sub.closed:
		case <-sub.s.done:
		}
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
	return checkCtx(ctx, "subscription")
}

// fill reads the next page of events into buf.
func (sub *subscription) fill(ctx context.Context) error {
	err := sub.s.view(ctx, "subscription", func(txn *dgbadger.Txn) error {
		var err error
		if sub.exec != uuid.Nil {
			sub.buf, err = eventsAfter(ctx, txn, sub.exec, sub.after, subscriptionPage)
		} else {
			sub.buf, err = eventsAtPositions(ctx, txn, sub.after, subscriptionPage)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	if n := len(sub.buf); n > 0 {
		if sub.exec != uuid.Nil {
			sub.after = sub.buf[n-1].Sequence
		} else {
			sub.after = sub.buf[n-1].Position
		}
	}
	return nil
}

// Close ends the subscription; a blocked Next returns store.ErrClosed.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}
