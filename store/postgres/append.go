package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	return s.append(ctx, events, opts, nil)
}

// AppendFenced implements store.Leaser.
func (s *Store) AppendFenced(ctx context.Context, l store.Lease, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	return s.append(ctx, events, opts, &l)
}

// append hands the batch to the writer (see writer.go) and waits for its
// verdict. If ctx ends while the writer holds the batch, append returns at
// once, but the batch may still be stored: a caller that needs to know
// retries with the same event ids, which is then answered from the log.
func (s *Store) append(ctx context.Context, events []execution.Event, opts store.AppendOptions, fence *store.Lease) ([]execution.Event, error) {
	op := "append"
	if len(events) > 0 {
		op = fmt.Sprintf("append to execution %s", events[0].ExecutionID)
	}
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	r := &appendRequest{ctx: ctx, events: events, opts: opts, fence: fence, op: op, done: make(chan appendResult, 1)}
	select {
	case s.requests <- r:
	case <-s.done:
		return nil, fmt.Errorf("%s: %w", op, store.ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	}
	select {
	case res := <-r.done:
		return res.events, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w (the append may still be stored: retry it with the same event ids to know)", op, ctx.Err())
	}
}

// isStoreError reports whether err is one of the store's own verdicts,
// already worded, rather than a database failure.
func isStoreError(err error) bool {
	for _, e := range []error{store.ErrInvalid, store.ErrConflict, store.ErrFinal, store.ErrFenced} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
