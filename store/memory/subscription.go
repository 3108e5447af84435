package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Subscribe implements store.EventStore. ctx governs only this call; the
// subscription lives until it or the store is closed.
func (s *Store) Subscribe(ctx context.Context, opts store.SubscribeOptions) (store.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("subscribe: %w", store.ErrClosed)
	}
	return &subscription{
		store:       s,
		executionID: opts.ExecutionID,
		cursor:      opts.After,
		done:        make(chan struct{}),
	}, nil
}

// subscription reads the store's log from its own cursor: a Position when
// it follows every execution, a Sequence when it follows one. Writers never
// wait for it; it waits on the store's broadcast channel when it has caught
// up.
type subscription struct {
	store       *Store
	executionID uuid.UUID

	// mu serialises Next calls so the cursor advances one event at a time.
	mu     sync.Mutex
	cursor uint64

	closeOnce sync.Once
	done      chan struct{}
}

// Next implements store.Subscription.
func (sub *subscription) Next(ctx context.Context) (execution.Event, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for {
		ev, ok, wait, err := sub.poll()
		if err != nil {
			return execution.Event{}, err
		}
		if ok {
			sub.cursor++
			return ev, nil
		}
		select {
		case <-wait:
		case <-sub.done:
			return execution.Event{}, fmt.Errorf("subscription: %w", store.ErrClosed)
		case <-ctx.Done():
			return execution.Event{}, fmt.Errorf("subscription: %w", ctx.Err())
		}
	}
}

// poll returns the event after the cursor if there is one, or else the
// channel the next append will close. Taking the channel under the same
// read lock as the look-up means no append can slip in between unnoticed.
func (sub *subscription) poll() (ev execution.Event, ok bool, wait <-chan struct{}, err error) {
	select {
	case <-sub.done:
		return ev, false, nil, fmt.Errorf("subscription: %w", store.ErrClosed)
	default:
	}
	s := sub.store
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ev, false, nil, fmt.Errorf("subscription: %w", store.ErrClosed)
	}
	if sub.executionID == uuid.Nil {
		if sub.cursor < uint64(len(s.global)) {
			return cloneEvent(s.event(s.global[sub.cursor])), true, nil, nil
		}
	} else if log := s.logs[sub.executionID]; log != nil && sub.cursor < uint64(len(log.events)) {
		return cloneEvent(log.events[sub.cursor]), true, nil, nil
	}
	return ev, false, s.changed, nil
}

// Close implements store.Subscription. Closing twice is harmless.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.done) })
	return nil
}
