package decide

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// ErrNothingToRerun: a rerun was asked of a flow execution where nothing
// failed or was cancelled, and no node was named to run again.
var ErrNothingToRerun = errors.New("nothing to rerun")

// Rerun is what a new flow execution that reruns an ended one records
// before its first decision: the runs it claims instead of running them
// again (§5.5), and the answers to description-only conditions on the
// claimed runs' edges, which a person or a model gave once and should not
// be asked again.
type Rerun struct {
	Claims    []execution.Claim
	Decisions []execution.ConditionDecision
}

// PlanRerun chooses what flow execution newID, a rerun of the ended flow
// execution whose view is old (same plan), takes over from it.
//
// The nodes to run again are the roots — every node whose latest run
// failed or was cancelled, and the nodes of from (indices) — and
// everything reachable from them, back edges included (a loop that
// contains a root runs again from its start). Every other node whose
// latest run completed or was skipped is claimed: its latest iteration
// (for a for_each node, the latest attempt of each item) becomes a run of
// the new execution as it stands. Skipped runs are claimed too, so that a
// dead path is not decided again into a fresh skip that would make the
// claimed nodes after it look stale.
//
// Decisions read claimed runs as owned ones; their ids belong to old, and
// their store positions (older than anything newID records) keep the
// order the loop rules compare. It is a pure function: the engine records
// the result atomically with newID's created event.
func PlanRerun(p *Plan, old *View, newID uuid.UUID, from []int) (Rerun, error) {
	d := &pass{p: p, v: old}
	runs := make([]nodeRun, len(p.Flow.Nodes))
	var roots []int
	for i := range runs {
		runs[i] = d.summarize(i)
		switch runs[i].status {
		case statusNone, statusCompleted, statusSkipped:
		default:
			roots = append(roots, i)
		}
	}
	for _, n := range from {
		if n < 0 || n >= len(runs) {
			return Rerun{}, fmt.Errorf("rerun: node index %d out of range", n)
		}
		roots = append(roots, n)
	}
	if len(roots) == 0 {
		return Rerun{}, fmt.Errorf("%w: no node of flow execution %s failed or was cancelled; name the nodes to run again (--from)", ErrNothingToRerun, old.ID)
	}
	again := make([]bool, len(runs))
	for len(roots) > 0 {
		n := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		if again[n] {
			continue
		}
		again[n] = true
		for _, ei := range p.Outgoing[n] {
			roots = append(roots, p.EdgeTarget[ei])
		}
	}
	var out Rerun
	for i, r := range runs {
		if again[i] || (r.status != statusCompleted && r.status != statusSkipped) {
			continue
		}
		node := p.Flow.Nodes[i].ID
		// A run the old execution had claimed itself is shared from the
		// execution that created it.
		c := execution.Claim{Type: execution.ProgressClaim, FlowExecutionID: old.ID, NodeReferenceID: node, Iteration: r.iteration}
		for _, b := range r.latest {
			c.BlockExecutionIDs = append(c.BlockExecutionIDs, b.ID)
			if b.SharedFrom != uuid.Nil {
				c.FlowExecutionID = b.SharedFrom
			}
		}
		out.Claims = append(out.Claims, c)
		if r.status != statusCompleted {
			continue
		}
		newSource := r.source
		if r.items != nil {
			newSource = ForEachID(newID, node, r.iteration)
		}
		for _, ei := range p.Outgoing[i] {
			e := p.Flow.Edges[ei]
			if e.Condition == nil || p.Programs[ei] != nil {
				continue // unconditional or CEL: deciding again is free and exact
			}
			dec, ok := old.Decisions[ConditionRequestID(old.ID, ei, r.source)]
			if !ok {
				continue
			}
			dec.RequestID = ConditionRequestID(newID, ei, newSource)
			out.Decisions = append(out.Decisions, dec)
		}
	}
	slices.SortFunc(out.Decisions, func(a, b execution.ConditionDecision) int { return a.EdgeIndex - b.EdgeIndex })
	return out, nil
}
