package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
	"github.com/openoma/openoma/store"
)

// flowView is what the engine has read of one open flow execution: its log
// and its block executions' logs, kept as the decide.View the decisions
// read. The log is append-only, so reading only what follows the last
// sequence seen keeps it exact; it is a cache of the log, never a separate
// record. A view is only touched by the worker reconciling its flow, and
// dropped when the flow ends.
type flowView struct {
	id      uuid.UUID
	created execution.Created
	plan    *flowPlan
	planErr error

	lastSequence uint64
	ended        bool
	decided      *decide.View
	blocks       map[uuid.UUID]*blockLog

	// cancelAsked records when this process asked a plugin to cancel a
	// block, so it asks once and records the cancellation itself if the
	// plugin does not within the call timeout.
	cancelAsked map[uuid.UUID]time.Time
	// asked lists the condition requests this view put to a plugin.
	asked []uuid.UUID
	// claims are the claims read from the flow's log whose block
	// executions are not read yet.
	claims []execution.Claim
}

// blockLog is one block execution's log as read so far.
type blockLog struct {
	*decide.Block
	events []execution.Event
}

func (b *blockLog) lastSequence() uint64 {
	if len(b.events) == 0 {
		return 0
	}
	return b.events[len(b.events)-1].Sequence
}

// add takes in new events of the block and updates what decisions read.
func (b *blockLog) add(events []execution.Event) {
	b.events = append(b.events, events...)
	b.State = execution.DeriveBlockState(b.events)
	b.Touched = len(b.events) > 1
	if !b.State.IsTerminal() {
		return
	}
	for i := range b.events {
		if b.events[i].EventType.IsTerminal() {
			b.EndedAt = b.events[i].Timestamp
			_ = b.events[i].DecodePayload(&b.Failure)
			break
		}
	}
	if b.State == execution.StateCompleted && b.Outputs == nil {
		p := execution.BlockExecution{Events: b.events}
		b.Outputs = p.Outputs()
	}
}

// view returns the flow's view brought up to date with the store.
func (e *Engine) view(ctx context.Context, id uuid.UUID) (*flowView, error) {
	e.mu.Lock()
	v := e.views[id]
	dirty := e.dirty[id]
	delete(e.dirty, id)
	e.mu.Unlock()
	if v == nil {
		return e.loadView(ctx, id)
	}
	if err := e.readFlowLog(ctx, v); err != nil {
		return nil, err
	}
	if err := e.readClaims(ctx, v); err != nil {
		return nil, err
	}
	for bid := range dirty {
		if err := e.readBlock(ctx, v, bid); err != nil {
			e.markDirty(id, bid) // read it next time
			return nil, err
		}
	}
	return v, nil
}

func (e *Engine) markDirty(flow, block uuid.UUID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dirty[flow] == nil {
		e.dirty[flow] = map[uuid.UUID]bool{}
	}
	e.dirty[flow][block] = true
}

// loadView reads a flow execution and all its block executions.
func (e *Engine) loadView(ctx context.Context, id uuid.UUID) (*flowView, error) {
	v, err := e.readView(ctx, id, false)
	if err != nil || v == nil || v.ended || v.plan == nil {
		return v, err
	}
	e.mu.Lock()
	e.views[id] = v
	e.mu.Unlock()
	return v, nil
}

// readView reads a flow execution, and unless it ended (or ended is set)
// all its block executions: those it created and those it claimed.
func (e *Engine) readView(ctx context.Context, id uuid.UUID, ended bool) (*flowView, error) {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return nil, fmt.Errorf("reading flow execution %s: %w", id, err)
	}
	if len(events) == 0 {
		return nil, nil
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return nil, err
	}
	v := &flowView{id: id, created: created, blocks: map[uuid.UUID]*blockLog{}, cancelAsked: map[uuid.UUID]time.Time{}}
	v.plan, v.planErr = e.planByRef(created.FlowID, created.FlowVersion)
	if v.plan != nil {
		v.decided = decide.NewView(v.plan.Plan, id, created.Inputs)
	}
	v.apply(events)
	if v.ended && !ended || v.plan == nil {
		return v, nil
	}
	children, err := e.store.ListExecutions(ctx, store.Filter{Parent: id, Kind: execution.KindBlock})
	if err != nil {
		return nil, fmt.Errorf("listing the block executions of flow execution %s: %w", id, err)
	}
	for _, c := range children {
		if err := e.readBlock(ctx, v, c.ID); err != nil {
			return nil, err
		}
	}
	if err := e.readClaims(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// readClaims reads the block executions the flow's log claims and puts
// them in their slots like its own (§5.5): decisions read a claimed run as
// an owned one. A claimed for_each run also needs its items record, which
// is on the log of the flow execution that created it; it keeps that
// record's store position, so the order of runs that loops compare is the
// one the claimed blocks had.
func (e *Engine) readClaims(ctx context.Context, v *flowView) error {
	for len(v.claims) > 0 {
		c := v.claims[0]
		v.claims = v.claims[1:]
		for _, id := range c.BlockExecutionIDs {
			if err := e.readBlock(ctx, v, id); err != nil {
				return fmt.Errorf("reading block execution %s claimed from flow execution %s: %w", id, c.FlowExecutionID, err)
			}
		}
		n, ok := v.plan.nodeIndex[c.NodeReferenceID]
		if !ok || v.plan.Items[n] == nil {
			continue
		}
		events, err := e.store.Events(ctx, c.FlowExecutionID, 0)
		if err != nil {
			return fmt.Errorf("reading flow execution %s for a claimed for_each run: %w", c.FlowExecutionID, err)
		}
		for i := range events {
			var r decide.ForEachItems
			if events[i].EventType != execution.EventProgress || events[i].DecodePayload(&r) != nil ||
				r.Type != ProgressForEachItems || r.NodeID != c.NodeReferenceID || r.Iteration != c.Iteration {
				continue
			}
			id := decide.ForEachID(v.id, r.NodeID, r.Iteration)
			if _, seen := v.decided.Items[id]; !seen {
				v.decided.Items[id] = decide.ItemsRecord{ForEachItems: r, Order: events[i].Position}
			}
			break
		}
	}
	return nil
}

func (e *Engine) dropView(v *flowView) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.views, v.id)
	delete(e.dirty, v.id)
	for _, r := range v.asked {
		delete(e.conds, r)
	}
}

func (e *Engine) readFlowLog(ctx context.Context, v *flowView) error {
	events, err := e.store.Events(ctx, v.id, v.lastSequence)
	if err != nil {
		return fmt.Errorf("reading flow execution %s: %w", v.id, err)
	}
	v.apply(events)
	return nil
}

// apply takes in new events of the flow's own log.
func (v *flowView) apply(events []execution.Event) {
	for i := range events {
		ev := &events[i]
		if ev.Sequence > v.lastSequence {
			v.lastSequence = ev.Sequence
		}
		switch {
		case ev.EventType.IsTerminal():
			v.ended = true
		case v.decided == nil:
		case ev.EventType == execution.EventStarted:
			v.decided.Started = true
		case ev.EventType == execution.EventProgress:
			v.applyProgress(ev)
		}
	}
}

func (v *flowView) applyProgress(ev *execution.Event) {
	var kind struct {
		Type string `json:"type"`
	}
	if ev.DecodePayload(&kind) != nil {
		return
	}
	d := v.decided
	switch kind.Type {
	case execution.ProgressConditionDecision:
		var c execution.ConditionDecision
		if ev.DecodePayload(&c) == nil {
			if _, seen := d.Decisions[c.RequestID]; !seen {
				d.Decisions[c.RequestID] = c
			}
		}
	case ProgressCancelRequested:
		var c CancelRequest
		if ev.DecodePayload(&c) == nil && d.Cancel == nil {
			d.Cancel = &c
		}
	case execution.ProgressClaim:
		var c execution.Claim
		if ev.DecodePayload(&c) == nil {
			v.claims = append(v.claims, c)
		}
	case ProgressForEachItems:
		var r decide.ForEachItems
		if ev.DecodePayload(&r) == nil {
			id := decide.ForEachID(v.id, r.NodeID, r.Iteration)
			if _, seen := d.Items[id]; !seen {
				d.Items[id] = decide.ItemsRecord{ForEachItems: r, Order: ev.Position}
			}
		}
	}
}

// readBlock reads what is new in one block execution's log.
func (e *Engine) readBlock(ctx context.Context, v *flowView, id uuid.UUID) error {
	b := v.blocks[id]
	after := uint64(0)
	if b != nil {
		if b.State.IsTerminal() {
			return nil
		}
		after = b.lastSequence()
	}
	events, err := e.store.Events(ctx, id, after)
	if err != nil {
		return fmt.Errorf("reading block execution %s: %w", id, err)
	}
	if b == nil {
		return v.addBlock(id, events)
	}
	b.add(events)
	return nil
}

// addBlock takes in a block execution first seen.
func (v *flowView) addBlock(id uuid.UUID, events []execution.Event) error {
	if len(events) == 0 || v.blocks[id] != nil {
		return nil
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return err
	}
	node, ok := v.plan.nodeIndex[created.NodeReferenceID]
	if !ok {
		return nil // not a slot of this flow version: not ours to schedule
	}
	plugin, _ := events[0].Metadata[MetadataPlugin].(string)
	b := &blockLog{Block: &decide.Block{
		ID: id, Node: node, Iteration: max(created.Iteration, 1), Index: -1, Attempt: max(created.Attempt, 1),
		Order: events[0].Position, Inputs: created.Inputs, TriggeredBy: created.TriggeredBy,
		Plugin: plugin, CreatedAt: events[0].Timestamp,
	}}
	if created.FlowExecutionID != v.id {
		b.SharedFrom = created.FlowExecutionID // claimed
	}
	if created.Index != nil {
		b.Index = *created.Index
	}
	if created.Deadline != nil {
		b.Deadline = *created.Deadline
	}
	b.add(events)
	v.blocks[id] = b
	v.decided.Add(b.Block)
	return nil
}
