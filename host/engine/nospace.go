package engine

import (
	"context"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// appendWaitingForSpace is store.Append, except that an append to a running
// execution refused with store.ErrNoSpace waits and tries again until the
// disk has room or ctx ends (store.AppendWaitingForSpace): a full disk
// pauses executions instead of failing them. Starting a new top-level run
// is not retried: the person starting it gets the store's "disk full"
// error at once.
func (e *Engine) appendWaitingForSpace(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if startsTopLevelRun(events) {
		return e.store.Append(ctx, events, opts)
	}
	exec := events[0].ExecutionID
	return store.AppendWaitingForSpace(ctx, e.store, events, opts,
		func(err error) {
			e.log.Warn("event store refused an append: waiting for disk space", "execution", exec, "error", err)
		},
		func() { e.log.Info("event store has space again; appends continue", "execution", exec) })
}

// startsTopLevelRun reports whether events create a flow or contract
// execution that nothing else is waiting for.
func startsTopLevelRun(events []execution.Event) bool {
	if len(events) == 0 || events[0].EventType != execution.EventCreated {
		return false
	}
	return store.InfoFromCreated(events[0]).Parent == uuid.Nil
}
