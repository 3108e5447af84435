package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
)

// reconcileFlow is the idempotent step of a flow execution: bring its view
// up to date, let decide.Flow say what must happen, and do it.
func (e *Engine) reconcileFlow(ctx context.Context, id uuid.UUID) error {
	v, err := e.view(ctx, id)
	if err != nil || v == nil {
		return err
	}
	if v.ended {
		e.dropView(v)
		return nil
	}
	if v.planErr != nil {
		return e.endExecution(ctx, id, execution.StateFailed, Ended{Reason: v.planErr.Error(), Code: CodeDefinitionMissing})
	}
	e.collectAskFailures(v)
	now := e.now()
	actions := decide.Flow(ctx, v.plan.Plan, v.decided, now)
	return e.performFlow(ctx, v, actions, now)
}

// performFlow is the executor: it carries out a decision's actions in the
// order decide.Action documents. Each is idempotent (deterministic ids, and
// calls this process already made are not made again), so performing the
// same decision twice, or after a crash halfway, does nothing twice.
func (e *Engine) performFlow(ctx context.Context, v *flowView, actions []decide.Action, now time.Time) error {
	var flowLog []execution.Event
	var blocks []blockAppend
	var finish *decide.Finish
	for _, a := range actions {
		switch a := a.(type) {
		case decide.RecordStart:
			flowLog = append(flowLog, e.hostEvent(v.id, "started", execution.EventStarted, nil))
		case decide.RecordDecision:
			flowLog = append(flowLog, e.hostEvent(v.id, "decision/"+a.Decision.RequestID.String(), execution.EventProgress, a.Decision))
		case decide.RecordItems:
			flowLog = append(flowLog, e.hostEvent(v.id, "for_each/"+a.ID.String(), execution.EventProgress, a.Items))
		case decide.CreateBlock:
			blocks = append(blocks, e.createBlock(ctx, v, a))
		case decide.EndBlock:
			blocks = append(blocks, e.endBlock(v, a))
		case decide.Finish:
			finish = &a
		}
	}
	if len(flowLog) > 0 {
		stored, err := e.appendEvents(ctx, flowLog...)
		if isFinal(err) {
			return nil
		}
		if err != nil {
			return err
		}
		v.apply(stored)
	}
	if err := e.appendBlocks(ctx, v, blocks); err != nil {
		return err
	}
	for _, a := range actions {
		if err := e.performCall(ctx, v, a, now); err != nil {
			return err
		}
	}
	if finish != nil {
		if err := e.endExecution(ctx, v.id, finish.State, finish.Payload); err != nil {
			return err
		}
		e.dropView(v)
	}
	return nil
}

// performCall carries out the actions that call out (plugins, timers).
func (e *Engine) performCall(ctx context.Context, v *flowView, a decide.Action, now time.Time) error {
	switch a := a.(type) {
	case decide.Ensure:
		if held, _ := e.dispatch.state(a.Block.ID); !held {
			e.dispatch.submit(e.resumeJob(ctx, v, a.Block), true)
		}
	case decide.AskCondition:
		e.askCondition(v, a)
	case decide.CancelBlock:
		return e.cancelBlock(ctx, v, a.Block, a.Reason)
	case decide.TimeOut:
		return e.timeOut(ctx, v, a.Block, a.Reason)
	case decide.WakeAt:
		e.after(a.Time.Sub(now), v.id)
	}
	return nil
}

// blockAppend is a new block execution to record: its events, and the
// job that hands it to its plugin (nil when the host ends it at once).
type blockAppend struct {
	id     uuid.UUID
	label  string
	events []execution.Event
	job    *job
}

// createBlock routes a new block execution to its plugin and prepares its
// created event; a block no plugin serves is created failed.
func (e *Engine) createBlock(ctx context.Context, v *flowView, a decide.CreateBlock) blockAppend {
	node := v.plan.flow.Nodes[a.Node]
	block := v.plan.blocks[a.Node]
	name, adapter, err := e.adapters.ForBlock(ctx, block, &node)
	if err != nil {
		return e.endBlock(v, decide.EndBlock{
			Run: a.Run, Inputs: a.Inputs, TriggeredBy: a.TriggeredBy, State: execution.StateFailed,
			Failure: execution.Failure{Reason: fmt.Sprintf("%s: %v", v.plan.Labels[a.Node], err), Code: CodeUnroutable},
		})
	}
	ba := e.newBlock(v, a.Run, a.Inputs, a.TriggeredBy, a.Deadline)
	ba.events[0].Metadata = map[string]any{MetadataPlugin: name}
	ba.job = &job{
		kind: jobExecute, plugin: name, adapter: adapter, blockID: ba.id, flowID: v.id,
		block: block, node: node, inputs: a.Inputs, attempt: a.Attempt,
	}
	return ba
}

// endBlock prepares a block execution the host ends as soon as it is
// created.
func (e *Engine) endBlock(v *flowView, a decide.EndBlock) blockAppend {
	ba := e.newBlock(v, a.Run, a.Inputs, a.TriggeredBy, time.Time{})
	switch a.State {
	case execution.StateCompleted:
		ba.events = append(ba.events,
			e.hostEvent(ba.id, "outcome", execution.EventOutcomeProduced, execution.Outcome(a.Outputs)),
			e.hostEvent(ba.id, "completed", execution.EventCompleted, nil))
	case execution.StateSkipped:
		ba.events = append(ba.events, e.hostEvent(ba.id, "skipped", execution.EventSkipped, a.Failure))
	default:
		ba.events = append(ba.events, e.hostEvent(ba.id, "failed", execution.EventFailed, a.Failure))
	}
	return ba
}

func (e *Engine) newBlock(v *flowView, run decide.Run, inputs map[string]any, triggeredBy []uuid.UUID, deadline time.Time) blockAppend {
	node := v.plan.flow.Nodes[run.Node]
	block := v.plan.blocks[run.Node]
	id := decide.BlockExecutionID(v.id, node.ID, run.Iteration, run.Index, run.Attempt)
	c := execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: v.id, NodeReferenceID: node.ID,
		WorkBlockID: block.ID, WorkBlockVersion: block.Version,
		Inputs: inputs, Attempt: run.Attempt, Iteration: run.Iteration, TriggeredBy: triggeredBy,
	}
	if run.Index >= 0 {
		c.Index = &run.Index
	}
	if !deadline.IsZero() {
		d := deadline.UTC()
		c.Deadline = &d
	}
	return blockAppend{id: id, label: v.plan.Labels[run.Node], events: []execution.Event{e.hostEvent(id, "created", execution.EventCreated, c)}}
}

// appendBlocks records new block executions and hands them to their
// plugins. The blocks the host ends at once go first, one after the other
// in the order decided: a skip can follow from a skip of the same decision
// (a dead path), and a run that a later decision compares with them must
// find them earlier in the store. The blocks for plugins depend on none of
// this decision's other blocks: their appends run concurrently, so the
// store's group commit makes one fsync of many.
func (e *Engine) appendBlocks(ctx context.Context, v *flowView, blocks []blockAppend) error {
	stored := make([][]execution.Event, len(blocks))
	errs := make([]error, len(blocks))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 256)
	for k, b := range blocks {
		e.remember(b.id, execMeta{kind: execution.KindBlock, parent: v.id})
		if b.job == nil {
			if stored[k], errs[k] = e.appendEvents(ctx, b.events...); errs[k] != nil {
				break
			}
		}
	}
	for k, b := range blocks {
		if b.job == nil {
			continue
		}
		if len(blocks) == 1 {
			stored[k], errs[k] = e.appendEvents(ctx, b.events...)
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			stored[k], errs[k] = e.appendEvents(ctx, b.events...)
		})
	}
	wg.Wait()
	for k, b := range blocks {
		if errs[k] != nil {
			return fmt.Errorf("creating block execution %s of %s: %w", b.id, b.label, errs[k])
		}
		if err := v.addBlock(b.id, stored[k]); err != nil {
			return err
		}
		if b.job != nil {
			e.dispatch.submit(b.job, false)
		}
	}
	return nil
}

// resumeJob hands an open block execution this process does not hold (it
// was left by a previous process) back to its plugin: ExecuteBlock again
// when the plugin never recorded anything, else ResumeBlock.
func (e *Engine) resumeJob(ctx context.Context, v *flowView, b *decide.Block) *job {
	kind := jobResume
	if !b.Touched {
		kind = jobExecute
	}
	node := v.plan.flow.Nodes[b.Node]
	plugin := b.Plugin
	if plugin == "" { // recorded before plugins were: route it again
		plugin, _, _ = e.adapters.ForBlock(ctx, v.plan.blocks[b.Node], &node)
	}
	return &job{
		kind: kind, plugin: plugin, blockID: b.ID, flowID: v.id,
		block: v.plan.blocks[b.Node], node: node, inputs: b.Inputs, attempt: b.Attempt,
	}
}

// timeOut fails a block that ran past its deadline, then asks its plugin
// to stop the work. The failure is recorded first, so it is the block's
// end whatever the plugin does; a retry policy then applies as to any
// failure.
func (e *Engine) timeOut(ctx context.Context, v *flowView, b *decide.Block, reason string) error {
	ev := e.hostEvent(b.ID, "timeout", execution.EventFailed, execution.Failure{Reason: reason, Code: CodeTimeout})
	if _, err := e.appendEvents(ctx, ev); err != nil && !isFinal(err) {
		return err
	}
	if e.dispatch.dropQueued(b.ID) {
		return nil // it never reached its plugin
	}
	if _, asked := v.cancelAsked[b.ID]; asked {
		return nil
	}
	v.cancelAsked[b.ID] = e.now()
	plugin, runCtx := b.Plugin, e.runCtx
	e.async.Go(func() {
		if err := e.askCancel(runCtx, plugin, b.ID, reason); err != nil && runCtx.Err() == nil {
			e.log.Warn("asking the plugin to stop a timed-out block", "block_execution", b.ID, "error", err)
		}
	})
	return nil
}
