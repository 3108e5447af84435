package engine

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
	"github.com/openoma/openoma/sdk"
)

// cancelBlock stops an open block execution of a stopping flow. A block
// still waiting for a plugin slot never reached a plugin: the host records
// its cancellation. Otherwise its plugin is asked (once); if the call
// fails, or the plugin has not recorded the cancellation within the call
// timeout, the host records it, so a flow never hangs on a plugin that
// does not answer.
func (e *Engine) cancelBlock(ctx context.Context, v *flowView, b *decide.Block, reason string) error {
	if e.dispatch.dropQueued(b.ID) {
		return e.recordCancel(ctx, b.ID, reason+" (before it was dispatched)", "")
	}
	asked, ok := v.cancelAsked[b.ID]
	if ok {
		if e.now().Sub(asked) < e.callTimeout {
			return nil
		}
		return e.recordCancel(ctx, b.ID, fmt.Sprintf("%s (plugin %q did not record the cancellation within %s)", reason, b.Plugin, e.callTimeout), CodeCancelUnconfirmed)
	}
	v.cancelAsked[b.ID] = e.now()
	e.after(e.callTimeout, v.id)
	plugin, id := b.Plugin, b.ID
	runCtx := e.runCtx
	e.async.Go(func() {
		err := e.askCancel(runCtx, plugin, id, reason)
		if err == nil || runCtx.Err() != nil {
			return
		}
		e.log.Warn("plugin could not cancel a block; the host records it", "block_execution", id, "error", err)
		if err := e.recordCancel(runCtx, id, fmt.Sprintf("%s (plugin %q could not cancel it: %v)", reason, plugin, err), ""); err != nil && runCtx.Err() == nil {
			e.log.Error("recording a cancellation", "block_execution", id, "error", err)
		}
	})
	return nil
}

func (e *Engine) askCancel(ctx context.Context, plugin string, id uuid.UUID, reason string) error {
	a, err := e.adapters.Adapter(ctx, plugin)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.callTimeout)
	defer cancel()
	return a.CancelBlock(ctx, sdk.CancelRequest{ExecutionID: id, Reason: reason, Store: e.store})
}

func (e *Engine) recordCancel(ctx context.Context, id uuid.UUID, reason, code string) error {
	ev := e.hostEvent(id, "cancelled", execution.EventCancelled, execution.Failure{Reason: reason, Code: code})
	if _, err := e.appendEvents(ctx, ev); err != nil && !isFinal(err) {
		return err
	}
	return nil
}
