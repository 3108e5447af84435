package engine

import (
	"context"
	"errors"
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

// PluginRestarted hands back the block executions a dead plugin process
// held. Of the plugin's open block executions it takes only those whose
// executor is a process that is gone (it records executor_released for
// that executor, naming it, so the log shows the hand-over) and those a
// gone process was given and never assigned; blocks the running process
// holds or was given are not touched (see decideOnRestart). Each is handed
// to the running process: ResumeBlock, or ExecuteBlock when the plugin
// never recorded anything. The blocks are handled in parallel, a bounded
// number at a time.
//
// Calls for one plugin may overlap (the plugin manager serialises them,
// but nothing here depends on it): a release has the id of the assignment
// it ends, so two restarts record it once, and it is appended only if the
// log has not moved since it was read.
func (e *Engine) PluginRestarted(ctx context.Context, r PluginRestart) error {
	if r.Instances == nil {
		return fmt.Errorf("resuming the blocks of plugin %q: no view of its processes", r.Plugin)
	}
	if name, _, err := e.adapters.ForConditions(ctx); err == nil && name == r.Plugin {
		e.forgetPendingQuestions()
	}
	open, err := e.store.ListExecutions(ctx, store.Filter{OpenOnly: true, Kind: execution.KindBlock})
	if err != nil {
		return fmt.Errorf("resuming the blocks of plugin %q: %w", r.Plugin, err)
	}
	var flows sync.Map // flow execution id → *flowPlan, read once
	var resumed, released atomic.Int64
	err = forEach(ctx, len(open), e.workers, func(ctx context.Context, i int) error {
		act, err := e.resumeOnRestart(ctx, r, open[i].ID, &flows)
		switch act {
		case releaseAndResume:
			released.Add(1)
			resumed.Add(1)
		case resumeOnly:
			resumed.Add(1)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("resuming the blocks of plugin %q: %w", r.Plugin, err)
	}
	e.log.Info("resumed the blocks of a restarted plugin", "plugin", r.Plugin, "dead_instance", r.DeadInstance,
		"blocks", resumed.Load(), "released", released.Load())
	return nil
}

// releaseAttempts bounds how often a release is re-decided because the
// block's log moved between reading and appending.
const releaseAttempts = 5

func (e *Engine) resumeOnRestart(ctx context.Context, r PluginRestart, id uuid.UUID, flows *sync.Map) (onRestart, error) {
	for range releaseAttempts {
		events, err := e.store.Events(ctx, id, 0)
		if err != nil || len(events) == 0 {
			return leaveAlone, err
		}
		if p, _ := events[0].Metadata[MetadataPlugin].(string); p != r.Plugin {
			return leaveAlone, nil
		}
		b, err := execution.ProjectBlock(events)
		if err != nil || b.State.IsTerminal() {
			return leaveAlone, err
		}
		act := decideOnRestart(r.Plugin, id, &b, r.Instances)
		if act == leaveAlone {
			return act, nil
		}
		if act == releaseAndResume {
			err := e.releaseExecutor(ctx, r, events, b.Executor())
			if errors.Is(err, store.ErrConflict) {
				continue // something was recorded meanwhile: decide again
			}
			if err != nil {
				return leaveAlone, err
			}
		}
		return act, e.handBack(ctx, r.Plugin, id, events, flows)
	}
	e.log.Warn("a block's log kept changing while its plugin restarted; leaving it to the process that writes it",
		"plugin", r.Plugin, "block_execution", id)
	return leaveAlone, nil
}

// handBack gives a block execution to the plugin's running process.
func (e *Engine) handBack(ctx context.Context, plugin string, id uuid.UUID, events []execution.Event, flows *sync.Map) error {
	created, err := execution.CreatedOf(events)
	if err != nil {
		return err
	}
	block, node, err := e.blockContext(ctx, created, flows)
	if err != nil {
		return err
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
	return nil
}

// releaseExecutor records that executor x, the one last assigned to a
// block, is gone with its process. Its id is derived from the assignment
// it ends, so a repeat is a no-op and a later assignment can be released
// in turn; it is appended only if nothing was recorded since events were
// read (else ErrConflict: the caller decides again).
func (e *Engine) releaseExecutor(ctx context.Context, r PluginRestart, events []execution.Event, x *execution.ExecutorInfo) error {
	var assigned uint64
	for i := range events {
		if events[i].EventType == execution.EventExecutorAssigned {
			assigned = events[i].Sequence
		}
	}
	last := events[len(events)-1]
	ev := e.hostEvent(last.ExecutionID, fmt.Sprintf("released/%d", assigned), execution.EventExecutorReleased,
		execution.Failure{
			Reason: "the plugin process exited; the block is resumed on its restarted process",
			Code:   "plugin_restarted",
			Details: map[string]any{
				"plugin":                         r.Plugin,
				execution.MetadataPluginInstance: x.PluginInstance(),
				"restart_of_instance":            r.DeadInstance,
			},
		})
	ev.Executor = x
	_, err := e.store.Append(ctx, []execution.Event{ev}, store.ExpectSequence(last.Sequence))
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
