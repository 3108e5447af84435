package decide

import (
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/execution"
)

// edgeState is what an edge says about its target's next run.
type edgeState int

const (
	edgeNone      edgeState = iota // the source never ran
	edgeOpen                       // the source's latest iteration has not ended
	edgeTaken                      // taken by the source's latest iteration (or the run's start)
	edgeDead                       // the source skipped, failed, was cancelled, or the condition is false
	edgeUndecided                  // a description-only condition is being judged
	edgeError                      // the condition could not be decided
)

type edgeMemo struct {
	done  bool
	state edgeState
	err   string
}

// edgeView is an edge as its target sees it: its state, and whether it is
// fresh — brought by a run of its source that the target has not taken in
// yet (for an entry edge: the target never ran).
type edgeView struct {
	state edgeState
	fresh bool
	err   string
}

func (d *pass) sourceNode(ei int) int { return d.p.EdgeSource[ei] }

// edge reads edge ei into node n. A source's run is fresh for n when it
// began after n's latest iteration did (store positions order them); an
// edge from n to itself is fresh once n's run ended.
func (d *pass) edge(ei, n int) edgeView {
	target := d.runs[n]
	src := d.sourceNode(ei)
	if src < 0 {
		fresh := target.status == statusNone
		state, err := d.edgeState(ei, src, fresh)
		return edgeView{state: state, fresh: fresh, err: err}
	}
	s := d.runs[src]
	if s.status == statusNone {
		return edgeView{state: edgeNone}
	}
	fresh := target.status == statusNone || s.order > target.order || src == n
	state, err := d.edgeState(ei, src, fresh)
	return edgeView{state: state, fresh: fresh, err: err}
}

// edgeState decides edge ei from its source's latest iteration (src -1:
// the run's start). A condition is decided once per source run: a recorded
// decision is read back; a CEL predicate is evaluated here and its decision
// recorded; a description-only one is asked of the conditions plugin
// (only when ask is set: for a stale edge, the old answer or nothing).
func (d *pass) edgeState(ei, src int, ask bool) (edgeState, string) {
	var source uuid.UUID
	var outputs map[string]any
	if src >= 0 {
		s := &d.runs[src]
		switch s.status {
		case statusNone:
			return edgeNone, ""
		case statusRunning, statusRetrying:
			return edgeOpen, ""
		case statusSkipped, statusFailed, statusCancelled:
			return edgeDead, ""
		}
		source, outputs = s.source, s.outputs
	}
	m := &d.edges[ei]
	if m.done {
		return m.state, m.err
	}
	state, err, final := d.evaluate(ei, src, source, outputs, ask)
	if final {
		*m = edgeMemo{done: true, state: state, err: err}
	}
	return state, err
}

func (d *pass) evaluate(ei, src int, source uuid.UUID, outputs map[string]any, ask bool) (state edgeState, errText string, final bool) {
	edge := d.p.Flow.Edges[ei]
	c := edge.Condition
	if c == nil || len(c.Predicate) == 0 && strings.TrimSpace(c.Description) == "" {
		return edgeTaken, "", true
	}
	req := ConditionRequestID(d.v.ID, ei, source)
	if dec, ok := d.v.Decisions[req]; ok {
		return taken(dec.Value), "", true
	}
	if prog := d.p.Programs[ei]; prog != nil {
		value, err := prog.Eval(d.ctx, d.celVars(src, outputs))
		if err != nil {
			if d.ctx.Err() != nil {
				return edgeUndecided, "", false
			}
			return edgeError, err.Error(), true
		}
		d.emit(RecordDecision{Decision: execution.ConditionDecision{
			Type: execution.ProgressConditionDecision, RequestID: req, EdgeIndex: ei,
			SourceExecutionID: source, Value: value, Reason: "cel: " + prog.Expression(), DecidedBy: HostExecutor(),
		}})
		return taken(value), "", true
	}
	if msg, ok := d.v.AskFailed[req]; ok {
		return edgeError, msg, true
	}
	if !ask {
		return edgeDead, "", false
	}
	if !d.asked[req] {
		d.asked[req] = true
		d.emit(AskCondition{RequestID: req, Edge: ei, Source: source, SourceNode: src, Outputs: outputs})
	}
	return edgeUndecided, "", true
}

func taken(v bool) edgeState {
	if v {
		return edgeTaken
	}
	return edgeDead
}

// celVars is what a CEL predicate on an edge from src (-1: entry edge)
// sees.
func (d *pass) celVars(src int, outputs map[string]any) condition.Vars {
	vars := condition.Vars{Inputs: d.v.Inputs, Outputs: outputs, Flow: d.p.FlowVars}
	if src >= 0 {
		vars.Source = d.p.Source[src]
	}
	return vars
}

// HostExecutor is who the host's own records name as their executor.
func HostExecutor() *execution.ExecutorInfo {
	return &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "openoma-host"}
}

// findActive marks, in a cyclic flow, the nodes that may still run: those
// with open work, and those a fresh edge reaches that is taken, undecided,
// or a dead forward edge (which will skip them). A node reached only by
// dead back edges will not run again: its loop exits there.
func (d *pass) findActive() {
	n := len(d.runs)
	d.seen, d.blocked = make([]bool, n), make([]bool, n)
	for i := range d.runs {
		if d.isActive(i) {
			d.active = append(d.active, i)
		}
	}
}

func (d *pass) isActive(i int) bool {
	switch d.runs[i].status {
	case statusRunning, statusRetrying:
		return true
	case statusFailed, statusCancelled:
		return false
	}
	if len(d.p.Incoming[i]) == 0 {
		return d.runs[i].status == statusNone
	}
	for _, ei := range d.p.Incoming[i] {
		if e := d.edge(ei, i); e.fresh && (e.state != edgeDead || !d.p.Back[ei]) {
			return true
		}
	}
	return false
}

// mayRunAgain reports whether source may still run again before node
// decides: an active node reaches it without passing through node or
// anything downstream of node (in this round those wait for node's
// decision, so they cannot deliver before it). Waiting for it is what
// makes a join inside a loop wait for every branch of the same round, and
// a loop's exit wait for the loop to end.
func (d *pass) mayRunAgain(source, node int) bool {
	if d.blockedFor != node+1 {
		d.p.downstream(node, d.blocked)
		d.blockedFor = node + 1
	}
	return d.p.reaches(d.active, source, d.blocked, d.seen)
}
