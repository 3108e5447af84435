package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// slotStatus is what a flow pass makes of a node slot's latest attempt.
type slotStatus int

const (
	slotNone      slotStatus = iota // no block execution yet
	slotRunning                     // latest attempt open
	slotCompleted                   // latest attempt completed
	slotSkipped                     // recorded skipped (dead path)
	slotRetrying                    // latest attempt failed; another attempt will come
	slotFailed                      // failed with no attempt left
	slotCancelled                   // latest attempt cancelled
)

// action is a block execution a flow pass decided to create.
type action struct {
	node        int
	attempt     int
	inputs      map[string]any
	triggeredBy []uuid.UUID
	plugin      string
	job         *job             // non-nil: dispatch to the plugin
	end         *execution.Event // non-nil: record this end at once (failed or skipped)
	endPurpose  string           // purpose of end's id
}

// flowPass is one reconcile of one flow execution: it reads the view,
// decides what must happen next, and does it.
type flowPass struct {
	e   *Engine
	ctx context.Context
	v   *flowView
	p   *flowPlan
	now time.Time

	status   []slotStatus
	actions  []action
	resumes  []*blockLog       // open blocks this process does not hold yet
	flowLog  []execution.Event // started, condition decisions
	stopping bool              // a block failed or was cancelled, or cancel was requested
	stopNode int               // the node that made the flow stop, or -1
	nextDue  time.Time         // earliest retry still waiting
}

// reconcileFlow is the idempotent step of a flow execution.
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
	p := &flowPass{e: e, ctx: ctx, v: v, p: v.plan, now: e.now(), stopNode: -1}
	if !v.started {
		p.flowLog = append(p.flowLog, e.hostEvent(id, "started", execution.EventStarted, nil))
	}
	p.classify()
	if err := p.advance(); err != nil {
		return err
	}
	if err := p.record(); err != nil {
		return err
	}
	return p.finish()
}

// classify sets each slot's status from its latest attempt.
func (p *flowPass) classify() {
	p.status = make([]slotStatus, len(p.p.flow.Nodes))
	p.stopping = p.v.cancel != nil
	for i := range p.status {
		b := p.v.latest(i)
		if b == nil {
			continue
		}
		switch b.state {
		case execution.StateCompleted:
			p.status[i] = slotCompleted
		case execution.StateSkipped:
			p.status[i] = slotSkipped
		case execution.StateCancelled:
			p.status[i] = slotCancelled
			p.stop(i)
		case execution.StateFailed:
			if p.willRetry(i, b) {
				p.status[i] = slotRetrying
			} else {
				p.status[i] = slotFailed
				p.stop(i)
			}
		default:
			p.status[i] = slotRunning
		}
	}
}

// stop makes the pass stop the flow; a failure outranks a cancellation as
// the reason (rule 1 before rule 2).
func (p *flowPass) stop(node int) {
	p.stopping = true
	if p.stopNode < 0 || p.status[node] == slotFailed && p.status[p.stopNode] != slotFailed {
		p.stopNode = node
	}
}

func (p *flowPass) willRetry(node int, b *blockLog) bool {
	switch b.failure().Code {
	case CodeMissingInput, CodeUnroutable, CodeConditionError, CodeDefinitionMissing, CodeCancelUnconfirmed:
		return false
	}
	return attemptOf(b) < p.p.retry[node].maxAttempts
}

func attemptOf(b *blockLog) int { return max(b.created.Attempt, 1) }

// advance walks the graph in topological order and decides, for each slot,
// what happens next: nothing, a retry, a new block execution, a skip, or a
// failure recorded by the host.
func (p *flowPass) advance() error {
	for _, i := range p.p.order {
		switch p.status[i] {
		case slotRunning:
			if b := p.v.latest(i); !p.stopping {
				if held, _ := p.e.dispatch.state(b.id); !held {
					p.resumes = append(p.resumes, b)
				}
			}
		case slotRetrying:
			if !p.stopping {
				p.retry(i)
			}
		case slotNone:
			if !p.stopping {
				if err := p.activate(i); err != nil {
					return err
				}
			}
		}
	}
	if p.stopping {
		// Something failed in this pass: start nothing new; what failed or
		// was skipped is still recorded.
		p.actions = slices.DeleteFunc(p.actions, func(a action) bool { return a.job != nil })
	}
	return nil
}

// retry creates the next attempt of a failed slot once its backoff passed.
func (p *flowPass) retry(i int) {
	last := p.v.latest(i)
	due := last.endedAt().Add(p.p.retry[i].delayAfter(attemptOf(last)))
	if p.now.Before(due) {
		if p.nextDue.IsZero() || due.Before(p.nextDue) {
			p.nextDue = due
		}
		return
	}
	p.create(i, attemptOf(last)+1, last.created.Inputs, last.created.TriggeredBy)
}

// activate decides a slot that has no block execution yet, once every
// incoming edge is decided.
func (p *flowPass) activate(i int) error {
	edges := p.p.incoming[i]
	var taken []int
	var triggeredBy []uuid.UUID
	for _, ei := range edges {
		d, err := p.decide(ei)
		if err != nil {
			reason := fmt.Sprintf("condition of %s failed: %v", p.edgeLabel(ei), err)
			p.fail(i, 1, CodeConditionError, reason, nil, nil)
			return nil
		}
		switch d {
		case edgeUndecided:
			return nil
		case edgeTaken:
			taken = append(taken, ei)
			if src := p.p.flow.Edges[ei].SourceID; src != uuid.Nil {
				triggeredBy = append(triggeredBy, p.v.latest(p.p.nodeIndex[src]).id)
			}
		}
	}
	if len(edges) > 0 && len(taken) == 0 {
		p.skip(i)
		return nil
	}
	inputs := p.inputs(i, taken)
	if missing := p.missingInputs(i, inputs); len(missing) > 0 {
		p.fail(i, 1, CodeMissingInput, p.missingReason(i, missing, taken), inputs, triggeredBy)
		return nil
	}
	p.create(i, 1, inputs, triggeredBy)
	return nil
}

type edgeDecision int

const (
	edgeUndecided edgeDecision = iota
	edgeTaken
	edgeDead
)

// decide returns whether edge ei is taken, dead, or not decided yet.
func (p *flowPass) decide(ei int) (edgeDecision, error) {
	edge := p.p.flow.Edges[ei]
	src, srcNode := uuid.Nil, -1
	var outputs map[string]any
	if !edge.IsEntry() {
		srcNode = p.p.nodeIndex[edge.SourceID]
		switch p.status[srcNode] {
		case slotCompleted:
			b := p.v.latest(srcNode)
			src, outputs = b.id, b.outputs
		case slotSkipped, slotFailed, slotCancelled:
			return edgeDead, nil
		default:
			return edgeUndecided, nil
		}
	}
	c := edge.Condition
	if c == nil || len(c.Predicate) == 0 && strings.TrimSpace(c.Description) == "" {
		return edgeTaken, nil
	}
	req := conditionRequestID(p.v.id, ei, src)
	if d, ok := p.v.decisions[req]; ok {
		return taken(d.Value), nil
	}
	if prog := p.p.programs[ei]; prog != nil {
		vars := p.e.celVars(p.v, srcNode, outputs)
		value, err := prog.Eval(p.ctx, vars)
		if err != nil {
			if p.ctx.Err() != nil {
				return edgeUndecided, nil
			}
			return edgeUndecided, err
		}
		d := execution.ConditionDecision{
			Type: execution.ProgressConditionDecision, RequestID: req, EdgeIndex: ei,
			SourceExecutionID: src, Value: value, Reason: "cel: " + prog.Expression(), DecidedBy: hostExecutor(),
		}
		p.v.decisions[req] = d
		p.flowLog = append(p.flowLog, p.e.hostEvent(p.v.id, "decision/"+req.String(), execution.EventProgress, d))
		return taken(value), nil
	}
	return p.e.askCondition(p.v, ei, req, src, srcNode, outputs)
}

func taken(v bool) edgeDecision {
	if v {
		return edgeTaken
	}
	return edgeDead
}

// inputs wires the taken edges' sources to node i's input ports, in edge
// order (a later edge overrides an earlier one on the same port): explicit
// port mappings when an edge has them, else every input port of the block
// that the source has an output (or, on an entry edge, a run input) of the
// same name. A node without incoming edges takes run inputs by name.
func (p *flowPass) inputs(i int, taken []int) map[string]any {
	in := map[string]any{}
	block := p.p.blocks[i]
	wire := func(source map[string]any, mappings []struct{ from, to string }) {
		if mappings == nil {
			for _, port := range block.Inputs {
				if v, ok := source[port.Name]; ok {
					in[port.Name] = v
				}
			}
			return
		}
		for _, m := range mappings {
			if v, ok := source[m.from]; ok {
				in[m.to] = v
			}
		}
	}
	if len(p.p.incoming[i]) == 0 {
		wire(p.v.created.Inputs, nil)
		return in
	}
	for _, ei := range taken {
		edge := p.p.flow.Edges[ei]
		source := p.v.created.Inputs
		if !edge.IsEntry() {
			source = p.v.latest(p.p.nodeIndex[edge.SourceID]).outputs
		}
		var mappings []struct{ from, to string }
		if len(edge.PortMappings) > 0 {
			mappings = make([]struct{ from, to string }, len(edge.PortMappings))
			for k, m := range edge.PortMappings {
				mappings[k] = struct{ from, to string }{m.SourcePort, m.TargetPort}
			}
		}
		wire(source, mappings)
	}
	return in
}

func (p *flowPass) missingInputs(i int, inputs map[string]any) []string {
	var missing []string
	for _, port := range p.p.blocks[i].Inputs {
		if _, ok := inputs[port.Name]; port.Required && !ok {
			missing = append(missing, fmt.Sprintf("%q", port.Name))
		}
	}
	return missing
}

// missingReason explains which sources were considered, so the person who
// reads it can fix the mapping or the run inputs.
func (p *flowPass) missingReason(i int, missing []string, taken []int) string {
	var sources []string
	if len(p.p.incoming[i]) == 0 {
		sources = append(sources, "run inputs "+keyList(p.v.created.Inputs))
	}
	for _, ei := range taken {
		edge := p.p.flow.Edges[ei]
		if edge.IsEntry() {
			sources = append(sources, fmt.Sprintf("edges[%d] from the run inputs %s", ei, keyList(p.v.created.Inputs)))
			continue
		}
		s := p.p.nodeIndex[edge.SourceID]
		sources = append(sources, fmt.Sprintf("edges[%d] from %s with outputs %s", ei, p.p.labels[s], keyList(p.v.latest(s).outputs)))
	}
	return fmt.Sprintf("%s (%s): required input %s not supplied; considered %s",
		p.p.labels[i], p.p.blocks[i].Describe(), strings.Join(missing, ", "), strings.Join(sources, "; "))
}

func keyList(m map[string]any) string {
	return "[" + strings.Join(slices.Sorted(maps.Keys(m)), ", ") + "]"
}

func (p *flowPass) edgeLabel(ei int) string {
	edge := p.p.flow.Edges[ei]
	target := p.p.labels[p.p.nodeIndex[edge.TargetID]]
	if edge.IsEntry() {
		return fmt.Sprintf("edges[%d] (entry → %s)", ei, target)
	}
	return fmt.Sprintf("edges[%d] (%s → %s)", ei, p.p.labels[p.p.nodeIndex[edge.SourceID]], target)
}

// create plans a block execution that a plugin will run.
func (p *flowPass) create(i, attempt int, inputs map[string]any, triggeredBy []uuid.UUID) {
	node := p.p.flow.Nodes[i]
	block := p.p.blocks[i]
	name, adapter, err := p.e.adapters.ForBlock(p.ctx, block, &node)
	if err != nil {
		p.fail(i, attempt, CodeUnroutable, fmt.Sprintf("%s: %v", p.p.labels[i], err), inputs, triggeredBy)
		return
	}
	id := blockExecutionID(p.v.id, node.ID, attempt)
	p.actions = append(p.actions, action{
		node: i, attempt: attempt, inputs: inputs, triggeredBy: triggeredBy, plugin: name,
		job: &job{
			kind: jobExecute, plugin: name, adapter: adapter, blockID: id, flowID: p.v.id,
			block: block, node: node, inputs: inputs, attempt: attempt,
		},
	})
	p.status[i] = slotRunning
}

// fail plans a block execution the host fails before any plugin runs it.
func (p *flowPass) fail(i, attempt int, code, reason string, inputs map[string]any, triggeredBy []uuid.UUID) {
	id := blockExecutionID(p.v.id, p.p.flow.Nodes[i].ID, attempt)
	end := p.e.hostEvent(id, "failed", execution.EventFailed, execution.Failure{Reason: reason, Code: code})
	p.actions = append(p.actions, action{node: i, attempt: attempt, inputs: inputs, triggeredBy: triggeredBy, end: &end})
	p.status[i] = slotFailed
	p.stop(i)
}

// skip plans the record of a slot whose incoming edges are all dead; its
// own outgoing edges die with it (dead-path elimination).
func (p *flowPass) skip(i int) {
	id := blockExecutionID(p.v.id, p.p.flow.Nodes[i].ID, 1)
	end := p.e.hostEvent(id, "skipped", execution.EventSkipped,
		execution.Failure{Reason: "not run: every incoming edge is dead", Code: "dead_path"})
	p.actions = append(p.actions, action{node: i, attempt: 1, end: &end})
	p.status[i] = slotSkipped
}

// record appends what the pass decided: the flow's own events first (the
// decisions that justify what follows), then each new block execution's
// created event (with its end when the host ends it at once), then the
// dispatches and resumptions.
func (p *flowPass) record() error {
	e, v := p.e, p.v
	if len(p.flowLog) > 0 {
		stored, err := e.appendEvents(p.ctx, p.flowLog...)
		if isFinal(err) {
			return nil
		}
		if err != nil {
			return err
		}
		v.apply(stored)
	}
	// The new block executions are independent: their appends run
	// concurrently, so the store's group commit makes one fsync of many.
	ids := make([]uuid.UUID, len(p.actions))
	stored := make([][]execution.Event, len(p.actions))
	errs := make([]error, len(p.actions))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 256)
	for k, a := range p.actions {
		node := p.p.flow.Nodes[a.node]
		block := p.p.blocks[a.node]
		id := blockExecutionID(v.id, node.ID, a.attempt)
		created := e.hostEvent(id, "created", execution.EventCreated, execution.Created{
			Kind: execution.KindBlock, FlowExecutionID: v.id, NodeReferenceID: node.ID,
			WorkBlockID: block.ID, WorkBlockVersion: block.Version,
			Inputs: a.inputs, Attempt: a.attempt, TriggeredBy: a.triggeredBy,
		})
		if a.plugin != "" {
			created.Metadata = map[string]any{MetadataPlugin: a.plugin}
		}
		batch := []execution.Event{created}
		if a.end != nil {
			batch = append(batch, *a.end)
		}
		e.remember(id, execMeta{kind: execution.KindBlock, parent: v.id})
		ids[k] = id
		if len(p.actions) == 1 {
			stored[k], errs[k] = e.appendEvents(p.ctx, batch...)
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			stored[k], errs[k] = e.appendEvents(p.ctx, batch...)
		})
	}
	wg.Wait()
	for k, a := range p.actions {
		if errs[k] != nil {
			return fmt.Errorf("creating block execution %s of %s: %w", ids[k], p.p.labels[a.node], errs[k])
		}
		if err := v.addBlock(ids[k], stored[k]); err != nil {
			return err
		}
		if a.job != nil {
			e.dispatch.submit(a.job, false)
		}
	}
	for _, b := range p.resumes {
		e.dispatch.submit(p.resumeJob(b), true)
	}
	if !p.nextDue.IsZero() {
		e.after(p.nextDue.Sub(p.now), v.id)
	}
	return nil
}

// resumeJob hands an open block execution this process does not hold (it
// was left by a previous process) back to its plugin: ExecuteBlock again
// when the plugin never recorded anything, else ResumeBlock.
func (p *flowPass) resumeJob(b *blockLog) *job {
	kind := jobResume
	if b.onlyCreated() {
		kind = jobExecute
	}
	node := p.p.flow.Nodes[b.node]
	plugin := b.plugin
	if plugin == "" { // recorded before plugins were: route it again
		plugin, _, _ = p.e.adapters.ForBlock(p.ctx, p.p.blocks[b.node], &node)
	}
	return &job{
		kind: kind, plugin: plugin, blockID: b.id, flowID: p.v.id,
		block: p.p.blocks[b.node], node: node, inputs: b.created.Inputs, attempt: attemptOf(b),
	}
}

// finish ends the flow when nothing is left to do, or cancels what still
// runs when it is stopping.
func (p *flowPass) finish() error {
	var open []*blockLog
	for i := range p.status {
		if b := p.v.latest(i); b != nil && !b.state.IsTerminal() {
			open = append(open, b)
		}
	}
	if p.stopping {
		reason, code, culprit := p.stopReason()
		for _, b := range open {
			if err := p.e.cancelBlock(p.ctx, p.v, p.p, b, "flow is stopping: "+reason); err != nil {
				return err
			}
		}
		if len(open) > 0 {
			return nil
		}
		state := execution.DeriveFlowState(p.p.flow, p.latest())
		if p.v.cancel != nil && state != execution.StateFailed && state != execution.StateCompleted {
			// Requested: there may be no cancelled block to derive it from
			// (the flow was between steps, or waiting for a decision).
			state = execution.StateCancelled
		}
		if state == execution.StateCompleted {
			return p.complete()
		}
		return p.end(state, Ended{Reason: reason, Code: code, BlockExecutionID: culprit})
	}
	// While a block runs or a retry waits the flow cannot have ended, so
	// the derivation (linear in the flow's size) is only run when it can.
	if len(open) > 0 || !p.nextDue.IsZero() {
		return nil
	}
	if execution.DeriveFlowState(p.p.flow, p.latest()) != execution.StateCompleted {
		return nil // waiting for a condition to be decided
	}
	return p.complete()
}

// latest projects the latest attempt of every slot: what the derivation
// reads (it would pick the latest attempts itself; handing it only those
// spares it decoding every attempt's created event).
func (p *flowPass) latest() []execution.BlockExecution {
	out := make([]execution.BlockExecution, 0, len(p.status))
	for i := range p.status {
		if b := p.v.latest(i); b != nil {
			out = append(out, b.projection())
		}
	}
	return out
}

// complete ends the flow completed, with its terminal nodes' outputs.
func (p *flowPass) complete() error {
	outputs := map[string]map[string]any{}
	for _, t := range p.p.terminals {
		if b := p.v.latest(t); b != nil && b.state == execution.StateCompleted {
			outputs[p.p.keys[t]] = b.outputs
		}
	}
	return p.end(execution.StateCompleted, Ended{Outputs: outputs})
}

func (p *flowPass) stopReason() (reason, code string, culprit uuid.UUID) {
	if p.stopNode >= 0 {
		b := p.v.latest(p.stopNode)
		f := b.failure()
		if p.status[p.stopNode] == slotFailed {
			return fmt.Sprintf("%s failed: %s", p.p.labels[p.stopNode], f.Reason), "block_failed", b.id
		}
		if p.v.cancel == nil {
			return fmt.Sprintf("%s was cancelled: %s", p.p.labels[p.stopNode], f.Reason), "block_cancelled", b.id
		}
	}
	return p.v.cancel.Reason, ProgressCancelRequested, uuid.Nil
}

// end appends the flow's terminal event.
func (p *flowPass) end(state execution.State, payload Ended) error {
	if err := p.e.endExecution(p.ctx, p.v.id, state, payload); err != nil {
		return err
	}
	p.e.dropView(p.v)
	return nil
}
