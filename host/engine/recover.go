package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Recover picks up every execution a previous process left open. It lists
// the open executions in one call and queues every open flow and contract;
// the engine's workers reconcile them in parallel (each rebuilds the flow's
// frontier from its log, continues scheduling, and hands each open block
// back to its plugin: ExecuteBlock again when the plugin never recorded
// anything, else ResumeBlock). Recover returns once every one of them has
// been reconciled once. Run must be running (Recover waits for it).
func (e *Engine) Recover(ctx context.Context) error {
	select {
	case <-e.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	open, err := e.store.ListExecutions(ctx, store.Filter{OpenOnly: true})
	if err != nil {
		return fmt.Errorf("recover: listing open executions: %w", err)
	}
	parents := map[uuid.UUID]bool{}
	var waits []<-chan struct{}
	blocks := 0
	for _, info := range open {
		switch info.Kind {
		case execution.KindFlow, execution.KindContract:
			parents[info.ID] = true
			e.remember(info.ID, execMeta{kind: info.Kind, parent: info.Parent})
			waits = append(waits, e.queue.AddWait(info.ID))
		case execution.KindBlock:
			blocks++
		}
	}
	for _, info := range open {
		if info.Kind == execution.KindBlock && !parents[info.Parent] {
			e.log.Warn("open block execution without an open flow execution; leaving it", "block_execution", info.ID, "flow_execution", info.Parent)
		}
	}
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e.log.Info("recovered open executions", "flows_and_contracts", len(waits), "blocks", blocks)
	return nil
}

// PluginRestarted resumes the block executions of a plugin whose process
// died and was restarted. For every open block execution routed to it, it
// records executor_released for the executor the dead process had
// assigned (so the log shows the hand-over) and hands the block back:
// ResumeBlock, or ExecuteBlock when the plugin never recorded anything.
// The blocks are handled in parallel, a bounded number at a time.
func (e *Engine) PluginRestarted(ctx context.Context, plugin string) error {
	if name, _, err := e.adapters.ForConditions(ctx); err == nil && name == plugin {
		e.forgetPendingQuestions()
	}
	open, err := e.store.ListExecutions(ctx, store.Filter{OpenOnly: true, Kind: execution.KindBlock})
	if err != nil {
		return fmt.Errorf("resuming the blocks of plugin %q: %w", plugin, err)
	}
	var flows sync.Map // flow execution id → *flowPlan, read once
	var resumed atomic.Int64
	err = forEach(ctx, len(open), e.workers, func(ctx context.Context, i int) error {
		ok, err := e.resumeOnRestart(ctx, plugin, open[i].ID, &flows)
		if ok {
			resumed.Add(1)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("resuming the blocks of plugin %q: %w", plugin, err)
	}
	e.log.Info("resumed the blocks of a restarted plugin", "plugin", plugin, "blocks", resumed.Load())
	return nil
}

func (e *Engine) resumeOnRestart(ctx context.Context, plugin string, id uuid.UUID, flows *sync.Map) (bool, error) {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil || len(events) == 0 {
		return false, err
	}
	if p, _ := events[0].Metadata[MetadataPlugin].(string); p != plugin {
		return false, nil
	}
	b, err := execution.ProjectBlock(events)
	if err != nil {
		return false, err
	}
	created, _ := execution.CreatedOf(events)
	block, node, err := e.blockContext(ctx, created, flows)
	if err != nil {
		return false, err
	}
	if x := b.Executor(); x != nil {
		if err := e.releaseExecutor(ctx, id, events, x); err != nil {
			return false, err
		}
	}
	j := &job{
		kind: jobResume, plugin: plugin, blockID: id, flowID: created.FlowExecutionID,
		block: block, node: node, inputs: created.Inputs, attempt: max(created.Attempt, 1),
	}
	if len(events) == 1 {
		j.kind = jobExecute
	}
	if e.dispatch.hold(j) {
		e.runJob(ctx, j)
	}
	return true, nil
}

// releaseExecutor records that the executor last assigned to a block is
// gone. Its id is derived from the assignment it ends, so a repeat is a
// no-op and a later assignment can be released in turn.
func (e *Engine) releaseExecutor(ctx context.Context, id uuid.UUID, events []execution.Event, x *execution.ExecutorInfo) error {
	var assigned uint64
	for i := range events {
		if events[i].EventType == execution.EventExecutorAssigned {
			assigned = events[i].Sequence
		}
	}
	ev := e.hostEvent(id, fmt.Sprintf("released/%d", assigned), execution.EventExecutorReleased,
		execution.Failure{Reason: "the plugin process exited; the block is resumed on its restarted process", Code: "plugin_restarted"})
	ev.Executor = x
	_, err := e.appendEvents(ctx, ev)
	return ignoreFinal(err)
}

// blockContext finds the block definition and node slot of a block
// execution, through its flow execution.
func (e *Engine) blockContext(ctx context.Context, c execution.Created, flows *sync.Map) (*core.WorkBlock, core.NodeReference, error) {
	plan, ok := flows.Load(c.FlowExecutionID)
	if !ok {
		events, err := e.store.Events(ctx, c.FlowExecutionID, 0)
		if err != nil {
			return nil, core.NodeReference{}, err
		}
		fc, err := execution.CreatedOf(events)
		if err != nil {
			return nil, core.NodeReference{}, err
		}
		p, err := e.planByRef(fc.FlowID, fc.FlowVersion)
		if err != nil {
			return nil, core.NodeReference{}, err
		}
		plan, _ = flows.LoadOrStore(c.FlowExecutionID, p)
	}
	p := plan.(*flowPlan)
	i, ok := p.nodeIndex[c.NodeReferenceID]
	if !ok {
		return nil, core.NodeReference{}, fmt.Errorf("node %s is not in flow %q v%d", c.NodeReferenceID, p.flow.Name, p.flow.Version)
	}
	return p.blocks[i], p.flow.Nodes[i], nil
}
