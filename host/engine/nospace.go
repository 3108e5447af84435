package engine

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// spaceRetry bounds how often an append refused for want of disk space is
// tried again; the store answers such a refusal at once and stores
// nothing, so trying again costs one statfs.
const (
	spaceRetryFirst = 100 * time.Millisecond
	spaceRetryMax   = 2 * time.Second
)

// appendWaitingForSpace is store.Append, except that an append to a running
// execution refused with store.ErrNoSpace waits and tries again until
// the disk has room or ctx ends: a full disk pauses executions instead
// of failing them, and they continue, losing nothing, once an operator
// frees space. Starting a new top-level run is not retried: the person
// starting it gets the store's "disk full" error at once.
func (e *Engine) appendWaitingForSpace(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	delay := spaceRetryFirst
	warned := false
	for {
		stored, err := e.store.Append(ctx, events, opts)
		if !errors.Is(err, store.ErrNoSpace) || startsTopLevelRun(events) {
			if warned && err == nil {
				e.log.Info("event store has space again; appends continue", "execution", events[0].ExecutionID)
			}
			return stored, err
		}
		if !warned {
			e.log.Warn("event store refused an append: waiting for disk space", "execution", events[0].ExecutionID, "error", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, spaceRetryMax)
	}
}

// startsTopLevelRun reports whether events create a flow or contract
// execution that nothing else is waiting for.
func startsTopLevelRun(events []execution.Event) bool {
	if len(events) == 0 || events[0].EventType != execution.EventCreated {
		return false
	}
	return store.InfoFromCreated(events[0]).Parent == uuid.Nil
}
