package decide

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
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

// Candidate is an existing flow execution offered to a contract execution
// (run CONTRACT --claim), as its log says.
type Candidate struct {
	ID          uuid.UUID
	FlowID      uuid.UUID
	FlowVersion int
	State       execution.State
}

// ClaimWorkFlows assigns each candidate to a work flow of k it can count
// as: the first of k's work_flows of its flow version that no earlier
// candidate took. A candidate that is not completed, or that fits no free
// work flow, is refused with the reason; nothing is claimed then.
func ClaimWorkFlows(cat *core.Catalog, k *core.Contract, candidates []Candidate) ([]execution.ExecutionClaim, error) {
	taken := make([]bool, len(k.WorkFlows))
	var out []execution.ExecutionClaim
	var errs []error
	for _, c := range candidates {
		if c.State != execution.StateCompleted {
			errs = append(errs, fmt.Errorf("flow execution %s is %s: only a completed one counts toward a contract", c.ID, c.State))
			continue
		}
		i := slices.IndexFunc(k.WorkFlows, func(r core.FlowReference) bool { return r.FlowID == c.FlowID && r.FlowVersion == c.FlowVersion })
		for i >= 0 && taken[i] {
			next := slices.IndexFunc(k.WorkFlows[i+1:], func(r core.FlowReference) bool { return r.FlowID == c.FlowID && r.FlowVersion == c.FlowVersion })
			if next < 0 {
				i = -1
				break
			}
			i += 1 + next
		}
		if i < 0 {
			var names []string
			for _, r := range k.WorkFlows {
				if f, ok := cat.Flow(r.FlowID, r.FlowVersion); ok {
					names = append(names, fmt.Sprintf("%q v%d", f.Name, f.Version))
				}
			}
			errs = append(errs, fmt.Errorf("flow execution %s runs no work flow of %s left unclaimed; its work flows are %s",
				c.ID, k.Describe(), strings.Join(names, ", ")))
			continue
		}
		taken[i] = true
		out = append(out, execution.ExecutionClaim{Type: execution.ProgressClaimExecution, Slot: execution.SlotWorkFlow, Index: i, ExecutionID: c.ID})
	}
	return out, errors.Join(errs...)
}

// PlanContractRerun chooses what a rerun of the ended contract execution
// old claims: each work flow and sub-contract whose execution completed
// (its own, or one old had claimed itself). One that failed or was
// cancelled is rerun in turn (Rerun set: the new child is a rerun of it,
// claiming what completed in it); one that never started runs afresh.
// Every assessment binding runs again once the work side completed.
func PlanContractRerun(k *core.Contract, old *ContractView) []execution.ExecutionClaim {
	var out []execution.ExecutionClaim
	add := func(slot string, i int, id uuid.UUID) {
		ch, ok := old.Children[id]
		if !ok || !ch.State.IsTerminal() || ch.State == execution.StateSkipped {
			return
		}
		if claimed, ok := old.Claimed[id]; ok {
			id = claimed
		}
		out = append(out, execution.ExecutionClaim{Type: execution.ProgressClaimExecution, Slot: slot, Index: i, ExecutionID: id,
			Rerun: ch.State != execution.StateCompleted})
	}
	for i := range k.WorkFlows {
		add(execution.SlotWorkFlow, i, WorkFlowExecutionID(old.ID, i))
	}
	for i := range k.SubContracts {
		add(execution.SlotSubContract, i, SubContractExecutionID(old.ID, i))
	}
	return out
}

// ClaimSlot is the id this package derives for the child an execution
// claim fills in contract execution contractExec.
func ClaimSlot(contractExec uuid.UUID, c execution.ExecutionClaim) uuid.UUID {
	if c.Slot == execution.SlotSubContract {
		return SubContractExecutionID(contractExec, c.Index)
	}
	return WorkFlowExecutionID(contractExec, c.Index)
}
