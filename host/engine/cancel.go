package engine

import (
	"context"
	"fmt"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// cancelBlock stops an open block execution of a stopping flow. A block
// still waiting for a plugin slot never reached a plugin: the host records
// its cancellation. Otherwise its plugin is asked (once); if the call
// fails, or the plugin has not recorded the cancellation within the call
// timeout, the host records it, so a flow never hangs on a plugin that
// does not answer.
func (e *Engine) cancelBlock(ctx context.Context, v *flowView, p *flowPlan, b *blockLog, reason string) error {
	if e.dispatch.dropQueued(b.id) {
		return e.recordCancel(ctx, b, reason+" (before it was dispatched)", "")
	}
	asked, ok := v.cancelAsked[b.id]
	if ok {
		if e.now().Sub(asked) < e.callTimeout {
			return nil
		}
		return e.recordCancel(ctx, b, fmt.Sprintf("%s (plugin %q did not record the cancellation within %s)", reason, b.plugin, e.callTimeout), CodeCancelUnconfirmed)
	}
	v.cancelAsked[b.id] = e.now()
	e.after(e.callTimeout, v.id)
	plugin := b.plugin
	runCtx := e.runCtx
	e.async.Go(func() {
		err := e.askCancel(runCtx, plugin, b, reason)
		if err == nil || runCtx.Err() != nil {
			return
		}
		e.log.Warn("plugin could not cancel a block; the host records it", "block_execution", b.id, "error", err)
		if err := e.recordCancel(runCtx, b, fmt.Sprintf("%s (plugin %q could not cancel it: %v)", reason, plugin, err), ""); err != nil && runCtx.Err() == nil {
			e.log.Error("recording a cancellation", "block_execution", b.id, "error", err)
		}
	})
	return nil
}

func (e *Engine) askCancel(ctx context.Context, plugin string, b *blockLog, reason string) error {
	a, err := e.adapters.Adapter(ctx, plugin)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.callTimeout)
	defer cancel()
	return a.CancelBlock(ctx, sdk.CancelRequest{ExecutionID: b.id, Reason: reason, Store: e.store})
}

func (e *Engine) recordCancel(ctx context.Context, b *blockLog, reason, code string) error {
	ev := e.hostEvent(b.id, "cancelled", execution.EventCancelled, execution.Failure{Reason: reason, Code: code})
	if _, err := e.appendEvents(ctx, ev); err != nil && !isFinal(err) {
		return err
	}
	return nil
}
