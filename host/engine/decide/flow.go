package decide

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Flow decides what must happen next in one flow execution: from its plan,
// its view and the current time, the actions that bring it one step closer
// to its end. It is a pure function — it reads nothing else and changes
// nothing — so every rule is tested on it alone; ctx only bounds the
// evaluation of CEL expressions.
//
// Deciding again on a view that already holds the effects of the actions
// returns no action with a new effect: the decision is a fixpoint of its
// own actions, which is what makes repeating it after a crash safe.
func Flow(ctx context.Context, p *Plan, v *View, now time.Time) []Action {
	s := p.scratch(len(p.Flow.Nodes), len(p.Flow.Edges))
	defer p.scratchPool.Put(s)
	d := &pass{
		ctx: ctx, p: p, v: v, now: now, stopNode: -1,
		runs: s.runs, edges: s.edges,
		asked: map[uuid.UUID]bool{},
	}
	if !v.Started {
		d.emit(RecordStart{})
	}
	for i := range d.runs {
		d.runs[i] = d.summarize(i)
	}
	d.stopping = v.Cancel != nil
	for i := range d.runs {
		if s := d.runs[i].status; s == statusFailed || s == statusCancelled {
			d.stop(i)
		}
	}
	if !d.stopping {
		d.advance()
	}
	d.conclude()
	return d.actions
}

// pass is one decision over one flow execution.
type pass struct {
	ctx context.Context
	p   *Plan
	v   *View
	now time.Time

	runs   []nodeRun
	edges  []edgeMemo
	active []int  // cyclic flows: nodes that may still run (again)
	seen   []bool // scratch for reachability
	// blocked marks the node mayRunAgain last asked for (blockedFor-1)
	// and what lies downstream of it.
	blocked    []bool
	blockedFor int
	asked      map[uuid.UUID]bool
	actions    []Action
	progress   bool // an action of this pass moves the flow on
	stopping   bool
	stopNode   int
	wake       time.Time
}

func (d *pass) emit(a Action) {
	d.actions = append(d.actions, a)
	switch a.(type) {
	case CreateBlock, EndBlock, RecordItems, RecordDecision, AskCondition, TimeOut:
		d.progress = true
	}
}

// create asks for a new block execution; one with a deadline brings the
// flow back when it passes, whether or not anything is appended meanwhile.
func (d *pass) create(c CreateBlock) {
	d.emit(c)
	if !c.Deadline.IsZero() {
		d.wakeAt(c.Deadline)
	}
}

// wakeAt asks to be decided again at t.
func (d *pass) wakeAt(t time.Time) {
	if d.wake.IsZero() || t.Before(d.wake) {
		d.wake = t
	}
}

// stop makes the flow stop; a failure outranks a cancellation as the
// reason (rule 1 before rule 2).
func (d *pass) stop(node int) {
	d.stopping = true
	if d.stopNode < 0 || d.runs[node].status == statusFailed && d.runs[d.stopNode].status != statusFailed {
		d.stopNode = node
	}
}

// advance moves every node on: running work is kept in its plugin's hands
// (and timed out past its deadline), due retries and for_each items are
// created, and nodes whose incoming edges allow it are activated or
// skipped, in topological order so one pass carries dead paths through.
func (d *pass) advance() {
	if d.p.Cyclic {
		d.findActive()
	}
	for _, i := range d.p.Order {
		switch d.runs[i].status {
		case statusRunning, statusRetrying:
			d.keepGoing(i)
		case statusNone, statusCompleted, statusSkipped:
			d.consider(i)
		}
		if d.stopping {
			return
		}
	}
}

// keepGoing handles a node whose latest iteration has not ended.
func (d *pass) keepGoing(i int) {
	r := &d.runs[i]
	for _, b := range r.latest {
		switch {
		case b.Open():
			d.watch(b)
		case b.State == execution.StateFailed && d.willRetry(b):
			d.retry(b)
		}
	}
	if r.items != nil {
		d.moreItems(i)
	}
}

// watch keeps an open block in its plugin's hands and enforces its
// deadline.
func (d *pass) watch(b *Block) {
	if !b.Deadline.IsZero() {
		if !d.now.Before(b.Deadline) {
			timeout := d.p.Ext[b.Node].Timeout
			d.emit(TimeOut{Block: b, Reason: fmt.Sprintf("%s: timed out: not finished within its timeout of %s (deadline %s)",
				d.p.Labels[b.Node], timeout, b.Deadline.UTC().Format(time.RFC3339))})
			return
		}
		d.wakeAt(b.Deadline)
	}
	d.emit(Ensure{Block: b})
}

func (d *pass) willRetry(b *Block) bool {
	r := d.p.Ext[b.Node].Retry
	return r != nil && retryable(b.Failure.Code) && b.Attempt < r.MaxAttempts
}

// retry creates the next attempt of a failed run once its backoff passed.
func (d *pass) retry(b *Block) {
	due := b.EndedAt.Add(d.p.Ext[b.Node].Retry.Delay(b.Attempt))
	if d.now.Before(due) {
		d.wakeAt(due)
		return
	}
	run := Run{Node: b.Node, Iteration: b.Iteration, Index: b.Index, Attempt: b.Attempt + 1}
	d.create(CreateBlock{Run: run, Inputs: b.Inputs, TriggeredBy: b.TriggeredBy, Deadline: d.deadline(b.Node)})
}

func (d *pass) deadline(node int) time.Time {
	if t := d.p.Ext[node].Timeout; t > 0 {
		return d.now.Add(t)
	}
	return time.Time{}
}

// consider decides a node whose latest iteration (if any) has ended:
// run it (again), skip it, or leave it.
func (d *pass) consider(n int) {
	edges := d.p.Incoming[n]
	if len(edges) == 0 {
		if d.runs[n].status == statusNone {
			d.activate(n, nil, nil)
		}
		return
	}
	var taken, fresh []int
	anyFresh, freshForward := false, false
	for _, ei := range edges {
		e := d.edge(ei, n)
		if !e.fresh {
			switch {
			case e.state == edgeNone && !d.p.Cyclic:
				return // a source that has not run yet
			case e.state == edgeTaken:
				taken = append(taken, ei) // still wires its outputs
			}
			continue
		}
		anyFresh = true
		freshForward = freshForward || !d.p.Back[ei]
		switch e.state {
		case edgeOpen, edgeUndecided:
			return
		case edgeError:
			d.failNew(n, CodeConditionError, fmt.Sprintf("condition of %s failed: %s", d.p.EdgeLabel(ei), e.err), nil, nil)
			return
		case edgeTaken:
			taken = append(taken, ei)
			fresh = append(fresh, ei)
		}
	}
	if !anyFresh {
		return // nothing new reached the node since it last ran
	}
	if d.p.Cyclic {
		for _, ei := range edges {
			if src := d.sourceNode(ei); src >= 0 && d.mayRunAgain(src, n) {
				return // a source may still deliver in this round: wait for it
			}
		}
	}
	switch {
	case len(fresh) > 0:
		d.activate(n, taken, fresh)
	case freshForward:
		d.skip(n)
	default:
		// Only back edges brought news, and they are dead: the loop
		// exits here.
	}
}

// activate runs node n's next iteration with the inputs of the taken
// edges; fresh are those taken since its last run (its triggers).
func (d *pass) activate(n int, taken, fresh []int) {
	r := d.runs[n]
	iteration := r.iteration + 1
	var triggeredBy []uuid.UUID
	for _, ei := range fresh {
		if src := d.sourceNode(ei); src >= 0 {
			triggeredBy = append(triggeredBy, d.runs[src].source)
		}
	}
	if limit := d.p.Ext[n].MaxIterations; iteration > limit {
		reason := fmt.Sprintf("%s: iteration limit %d reached: a loop would run it a %s time (max_iterations %d)",
			d.p.Labels[n], limit, ordinal(iteration), limit)
		d.endNew(n, iteration, execution.StateFailed, execution.Failure{Reason: reason, Code: CodeIterationLimit}, nil, triggeredBy, nil)
		return
	}
	inputs := d.inputs(n, taken)
	if missing := d.missingInputs(n, inputs); len(missing) > 0 {
		d.failNew(n, CodeMissingInput, d.missingReason(n, missing, taken), inputs, triggeredBy)
		return
	}
	if d.p.Items[n] != nil {
		d.startForEach(n, iteration, inputs, triggeredBy, taken)
		return
	}
	d.create(CreateBlock{Run: Run{Node: n, Iteration: iteration, Index: -1, Attempt: 1}, Inputs: inputs, TriggeredBy: triggeredBy, Deadline: d.deadline(n)})
	d.setRun(n, nodeRun{iteration: iteration, status: statusRunning})
}

// failNew records node n's next iteration as failed by the host.
func (d *pass) failNew(n int, code, reason string, inputs map[string]any, triggeredBy []uuid.UUID) {
	d.endNew(n, d.runs[n].iteration+1, execution.StateFailed, execution.Failure{Reason: reason, Code: code}, inputs, triggeredBy, nil)
}

// skip records node n's next iteration as skipped: every edge that brought
// news is dead, and its own edges die with it (dead-path elimination).
func (d *pass) skip(n int) {
	d.endNew(n, d.runs[n].iteration+1, execution.StateSkipped,
		execution.Failure{Reason: "not run: every incoming edge is dead", Code: CodeDeadPath}, nil, nil, nil)
}

// endNew records a new iteration of node n that the host ends at once.
func (d *pass) endNew(n, iteration int, state execution.State, f execution.Failure, inputs map[string]any, triggeredBy []uuid.UUID, outputs map[string]any) {
	run := Run{Node: n, Iteration: iteration, Index: -1, Attempt: 1}
	d.emit(EndBlock{Run: run, Inputs: inputs, TriggeredBy: triggeredBy, State: state, Failure: f, Outputs: outputs})
	id := BlockExecutionID(d.v.ID, d.p.Flow.Nodes[n].ID, iteration, -1, 1)
	b := &Block{ID: id, Node: n, Iteration: iteration, Index: -1, Attempt: 1, State: state, Failure: f, Outputs: outputs}
	r := nodeRun{iteration: iteration, status: statusOf(state), source: id, latest: []*Block{b}, outputs: outputs}
	if state == execution.StateFailed {
		r.culprit = b
	}
	d.setRun(n, r)
	if state == execution.StateFailed {
		d.stop(n)
	}
}

func statusOf(s execution.State) nodeStatus {
	switch s {
	case execution.StateCompleted:
		return statusCompleted
	case execution.StateSkipped:
		return statusSkipped
	case execution.StateFailed:
		return statusFailed
	case execution.StateCancelled:
		return statusCancelled
	}
	return statusRunning
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// conclude ends the flow when nothing is left to do, or cancels what still
// runs when it is stopping.
func (d *pass) conclude() {
	var open []*Block
	for _, slot := range d.v.Slots {
		for _, b := range slot {
			if b.Open() {
				open = append(open, b)
			}
		}
	}
	if d.stopping {
		d.actions = dropNewWork(d.actions)
		reason, code, culprit := d.stopReason()
		why := d.stopRef()
		for _, b := range open {
			d.emit(CancelBlock{Block: b, Reason: why})
		}
		if len(open) > 0 {
			return
		}
		state := d.derivedState()
		switch {
		case state == execution.StateCompleted:
			d.finishCompleted()
		case d.v.Cancel != nil && state != execution.StateFailed:
			// Requested: there may be no cancelled block to derive it from
			// (the flow was between steps, or waiting for a decision).
			d.emit(Finish{State: execution.StateCancelled, Payload: Ended{Reason: reason, Code: code}})
		default:
			d.emit(Finish{State: state, Payload: Ended{Reason: reason, Code: code, BlockExecutionID: culprit}})
		}
		return
	}
	if !d.wake.IsZero() {
		d.emit(WakeAt{Time: d.wake})
	}
	if len(open) > 0 || !d.wake.IsZero() || d.progress {
		return
	}
	if d.derivedState() == execution.StateCompleted {
		d.finishCompleted()
		return
	}
	if d.ctx.Err() != nil {
		return // a CEL evaluation was cut short: nothing is known to be stuck
	}
	d.emit(Finish{State: execution.StateFailed, Payload: Ended{Reason: d.stuckReason(), Code: CodeStuck}})
}

// dropNewWork removes what would start new work from a stopping flow's
// actions; what the host records as failed or skipped stays.
func dropNewWork(actions []Action) []Action {
	out := actions[:0]
	for _, a := range actions {
		switch a.(type) {
		case CreateBlock, RecordItems, Ensure, AskCondition, TimeOut, WakeAt:
			continue
		}
		out = append(out, a)
	}
	return out
}

// derivedState applies the rules of §3.4 to the latest run of every node,
// as execution.DeriveFlowState does on the projections.
func (d *pass) derivedState() execution.State {
	cancelled, begun := false, false
	for i := range d.runs {
		switch d.runs[i].status {
		case statusFailed:
			return execution.StateFailed
		case statusCancelled:
			cancelled = true
		case statusNone:
		default:
			begun = true
		}
	}
	if cancelled {
		return execution.StateCancelled
	}
	done := true
	for _, t := range d.p.Terminals {
		if s := d.runs[t].status; s != statusCompleted && s != statusSkipped {
			done = false
		}
	}
	switch {
	case done:
		return execution.StateCompleted
	case begun:
		return execution.StateInProgress
	}
	return execution.StatePending
}

func (d *pass) finishCompleted() {
	outputs := map[string]map[string]any{}
	for _, t := range d.p.Terminals {
		if r := d.runs[t]; r.status == statusCompleted {
			outputs[d.p.Keys[t]] = r.outputs
		}
	}
	d.emit(Finish{State: execution.StateCompleted, Payload: Ended{Outputs: outputs}})
}

// stopReason is the reason a stopping flow ends with. A reason is said
// once, where it arose: a block's failure is on the block, so the flow
// only says where ("failed at node "triage"", the culprit block execution
// beside it) — and a contract refers to that in turn ("work flow … failed
// at node "triage"", see childRef). A cancel request's reason arose at the
// flow: it is the flow's.
func (d *pass) stopReason() (reason, code string, culprit uuid.UUID) {
	if d.stopNode >= 0 {
		r := d.runs[d.stopNode]
		b := r.culprit
		if r.status == statusFailed {
			return "failed at " + d.p.Labels[d.stopNode], "block_failed", b.ID
		}
		if d.v.Cancel == nil {
			return "cancelled at " + d.p.Labels[d.stopNode], "block_cancelled", b.ID
		}
	}
	return d.v.Cancel.Reason, ProgressCancelRequested, uuid.Nil
}

// stopRef is the reason given to the blocks a stopping flow cancels: a
// one-line reference to why, never the cause's text again (that is on the
// block that failed, or the flow's own cancel request).
func (d *pass) stopRef() string {
	if d.stopNode >= 0 {
		switch {
		case d.runs[d.stopNode].status == statusFailed:
			return fmt.Sprintf("flow is stopping: %s failed", d.p.Labels[d.stopNode])
		case d.v.Cancel == nil:
			return fmt.Sprintf("flow is stopping: %s was cancelled", d.p.Labels[d.stopNode])
		}
	}
	return "flow is being cancelled"
}

// stuckReason explains a flow that can make no more progress: no block
// runs, nothing is being decided, and a terminal node has not run.
func (d *pass) stuckReason() string {
	var waiting []string
	for _, t := range d.p.Terminals {
		if s := d.runs[t].status; s != statusCompleted && s != statusSkipped {
			waiting = append(waiting, d.p.Labels[t])
		}
	}
	return fmt.Sprintf("flow cannot continue: nothing runs or waits, and terminal %s never ran (its incoming edges can no longer be decided)",
		strings.Join(waiting, ", "))
}
