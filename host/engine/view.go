package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// flowView is what the engine has read of one open flow execution: its log
// and its block executions' logs. The log is append-only, so reading only
// what follows the last sequence seen keeps it exact; it is a cache of the
// log, never a separate record. A view is only touched by the worker
// reconciling its flow, and dropped when the flow ends.
type flowView struct {
	id      uuid.UUID
	created execution.Created
	plan    *flowPlan
	planErr error

	log       []execution.Event
	started   bool
	ended     bool
	cancel    *CancelRequest
	decisions map[uuid.UUID]execution.ConditionDecision // by request id; first wins

	blocks map[uuid.UUID]*blockLog
	slots  [][]*blockLog // per node index: attempts, ascending

	// cancelAsked records when this process asked a plugin to cancel a
	// block, so it asks once and records the cancellation itself if the
	// plugin does not within the call timeout.
	cancelAsked map[uuid.UUID]time.Time
	// asked lists the condition requests this view put to a plugin.
	asked []uuid.UUID
}

// blockLog is one block execution's log as read so far.
type blockLog struct {
	id      uuid.UUID
	node    int
	created execution.Created
	plugin  string
	events  []execution.Event
	state   execution.State
	outputs map[string]any // merged outcome_produced payloads, once completed
}

func (b *blockLog) lastSequence() uint64 {
	if len(b.events) == 0 {
		return 0
	}
	return b.events[len(b.events)-1].Sequence
}

func (b *blockLog) add(events []execution.Event) {
	b.events = append(b.events, events...)
	b.state = execution.DeriveBlockState(b.events)
	if b.state == execution.StateCompleted && b.outputs == nil {
		p := b.projection()
		b.outputs = p.Outputs()
	}
}

func (b *blockLog) projection() execution.BlockExecution {
	return execution.BlockExecution{
		ID:               b.id,
		NodeReferenceID:  b.created.NodeReferenceID,
		WorkBlockID:      b.created.WorkBlockID,
		WorkBlockVersion: b.created.WorkBlockVersion,
		State:            b.state,
		Events:           b.events,
	}
}

// onlyCreated reports whether no plugin has recorded anything yet.
func (b *blockLog) onlyCreated() bool { return len(b.events) == 1 }

// failure returns the decoded payload of the block's terminal event.
func (b *blockLog) failure() execution.Failure {
	var f execution.Failure
	for i := range b.events {
		if b.events[i].EventType.IsTerminal() {
			_ = b.events[i].DecodePayload(&f)
			break
		}
	}
	return f
}

func (b *blockLog) endedAt() time.Time {
	for i := range b.events {
		if b.events[i].EventType.IsTerminal() {
			return b.events[i].Timestamp
		}
	}
	return time.Time{}
}

func (v *flowView) latest(node int) *blockLog {
	if s := v.slots[node]; len(s) > 0 {
		return s[len(s)-1]
	}
	return nil
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
	v := &flowView{
		id: id, created: created,
		decisions:   map[uuid.UUID]execution.ConditionDecision{},
		blocks:      map[uuid.UUID]*blockLog{},
		cancelAsked: map[uuid.UUID]time.Time{},
	}
	v.plan, v.planErr = e.planByRef(created.FlowID, created.FlowVersion)
	if v.plan != nil {
		v.slots = make([][]*blockLog, len(v.plan.flow.Nodes))
	}
	v.apply(events)
	if v.ended || v.plan == nil {
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
	e.mu.Lock()
	e.views[id] = v
	e.mu.Unlock()
	return v, nil
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
	after := uint64(0)
	if n := len(v.log); n > 0 {
		after = v.log[n-1].Sequence
	}
	events, err := e.store.Events(ctx, v.id, after)
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
		v.log = append(v.log, *ev)
		switch {
		case ev.EventType == execution.EventStarted:
			v.started = true
		case ev.EventType.IsTerminal():
			v.ended = true
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
	switch kind.Type {
	case execution.ProgressConditionDecision:
		var d execution.ConditionDecision
		if ev.DecodePayload(&d) == nil {
			if _, seen := v.decisions[d.RequestID]; !seen {
				v.decisions[d.RequestID] = d
			}
		}
	case ProgressCancelRequested:
		var c CancelRequest
		if ev.DecodePayload(&c) == nil && v.cancel == nil {
			v.cancel = &c
		}
	}
}

// readBlock reads what is new in one block execution's log.
func (e *Engine) readBlock(ctx context.Context, v *flowView, id uuid.UUID) error {
	b := v.blocks[id]
	after := uint64(0)
	if b != nil {
		if b.state.IsTerminal() {
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
	if len(events) == 0 {
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
	b := &blockLog{id: id, node: node, created: created, plugin: plugin}
	b.add(events)
	v.blocks[id] = b
	s := append(v.slots[node], b)
	slices.SortStableFunc(s, func(x, y *blockLog) int { return x.created.Attempt - y.created.Attempt })
	v.slots[node] = s
	return nil
}

// planByRef returns the (cached) plan of a flow version.
func (e *Engine) planByRef(id uuid.UUID, version int) (*flowPlan, error) {
	f, ok := e.catalog.Flow(id, version)
	if !ok {
		return nil, fmt.Errorf("flow %s v%d is not in the catalog", id, version)
	}
	e.plansMu.Lock()
	defer e.plansMu.Unlock()
	r, ok := e.plans[f.Ref()]
	if !ok {
		r.plan, r.err = buildPlan(e.catalog, e.cel, f)
		e.plans[f.Ref()] = r
	}
	return r.plan, r.err
}
