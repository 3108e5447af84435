package execution

import (
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// ProgressClaim is the "type" of a progress payload on a flow execution's
// log that claims block executions another flow execution created (§5.5:
// a block execution may belong to several flow executions). A rerun after
// a failure claims the work that had completed instead of running it
// again. The claimed executions are never changed: the claim is a fact of
// the claiming flow's log alone, so it survives restarts like any event.
const ProgressClaim = "claim"

// Claim is the payload of a claim progress event: one run of one node (its
// iteration; for a for_each node every item of it) that the flow execution
// takes over from another.
type Claim struct {
	Type string `json:"type"` // ProgressClaim
	// FlowExecutionID is the flow execution that created the claimed block
	// executions (their parent): where they are shared from.
	FlowExecutionID uuid.UUID `json:"flow_execution_id"`
	// NodeReferenceID and Iteration name the run claimed.
	NodeReferenceID uuid.UUID `json:"node_reference_id"`
	Iteration       int       `json:"iteration"`
	// BlockExecutionIDs are the claimed block executions: one, or for a
	// for_each node the latest attempt of each item.
	BlockExecutionIDs []uuid.UUID `json:"block_execution_ids"`
}

// ClaimsOf returns the claims recorded on a flow execution's log, in log
// order.
func ClaimsOf(events []Event) []Claim {
	var out []Claim
	for i := range events {
		if events[i].EventType != EventProgress {
			continue
		}
		var c Claim
		if events[i].DecodePayload(&c) != nil || c.Type != ProgressClaim {
			continue
		}
		out = append(out, c)
	}
	return out
}

// ProjectFlow builds the FlowExecution of a flow execution's log and its
// block executions — those it created (owned) and those it claimed, given
// alike. Claimed block executions count like owned ones: they are listed
// in BlockExecutions and the state is derived from both (§3.4), unless the
// log records its end, which then says it. A claim of a block execution
// missing from blocks is listed all the same; its state cannot count.
func ProjectFlow(flow *core.Flow, events []Event, blocks []BlockExecution) (FlowExecution, error) {
	c, err := CreatedOf(events)
	if err != nil {
		return FlowExecution{}, err
	}
	f := FlowExecution{ID: events[0].ExecutionID, FlowID: c.FlowID, FlowVersion: c.FlowVersion, Events: events}
	f.State = DeriveFlowState(flow, blocks)
	for i := range events {
		if events[i].EventType.IsTerminal() {
			f.State = StateOf(events[i].EventType)
		}
	}
	for _, b := range blocks {
		f.BlockExecutions = append(f.BlockExecutions, b.ID)
	}
	for _, cl := range ClaimsOf(events) {
		for _, id := range cl.BlockExecutionIDs {
			if !slices.Contains(f.BlockExecutions, id) {
				f.BlockExecutions = append(f.BlockExecutions, id)
			}
		}
	}
	return f, nil
}

// ProgressClaimExecution is the "type" of a progress payload on a contract
// execution's log that counts an existing completed flow (or contract)
// execution as one of its work flows (or sub-contracts) instead of running
// it (§3.5, §5.5). The claimed execution is never changed.
const ProgressClaimExecution = "claim_execution"

// The slots of a contract execution an ExecutionClaim fills.
const (
	SlotWorkFlow    = "work"
	SlotSubContract = "sub"
)

// ExecutionClaim is the payload of a claim_execution progress event.
type ExecutionClaim struct {
	Type string `json:"type"` // ProgressClaimExecution
	// Slot and Index name what the claimed execution counts as: work
	// flow Index (work_flows[Index]) or sub-contract Index.
	Slot  string `json:"slot"`
	Index int    `json:"index"`
	// ExecutionID is the claimed execution.
	ExecutionID uuid.UUID `json:"execution_id"`
	// Rerun, set by a contract's rerun for a work flow or sub-contract
	// that did not complete, means the slot is not filled by ExecutionID
	// but by a new execution that reruns it (and so claims what completed
	// in it).
	Rerun bool `json:"rerun,omitempty"`
}

// ExecutionClaimsOf returns the execution claims recorded on a contract
// execution's log, in log order.
func ExecutionClaimsOf(events []Event) []ExecutionClaim {
	var out []ExecutionClaim
	for i := range events {
		if events[i].EventType != EventProgress {
			continue
		}
		var c ExecutionClaim
		if events[i].DecodePayload(&c) != nil || c.Type != ProgressClaimExecution {
			continue
		}
		out = append(out, c)
	}
	return out
}
