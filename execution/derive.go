package execution

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// DeriveBlockState replays one execution's events (§3.1): the first terminal
// event decides the state; otherwise `started` means in_progress; otherwise
// pending. An empty log is pending.
func DeriveBlockState(events []Event) State {
	started := false
	for i := range events {
		t := events[i].EventType
		if s := StateOf(t); s != "" {
			return s
		}
		if t == EventStarted {
			started = true
		}
	}
	if started {
		return StateInProgress
	}
	return StatePending
}

// LatestAttempts keeps, for each node slot, the block executions that
// count now: those of the node's latest iteration (a loop runs a node again
// as a new BlockExecution with the next iteration), and of those, per
// for_each item, the one with the highest attempt number (the last one
// listed on a tie): a retry is a new BlockExecution for the same slot, and
// only the latest one counts. Slots keep the order in which they first
// appear.
func LatestAttempts(blocks []BlockExecution) []BlockExecution {
	idx := latestIndexes(blocks)
	out := make([]BlockExecution, len(idx))
	for i, j := range idx {
		out[i] = blocks[j]
	}
	return out
}

// slotKey is one item of one node; index is -1 for a node without for_each.
type slotKey struct {
	node  uuid.UUID
	index int
}

// latestIndexes returns, for each slot in order of first appearance, the
// index in blocks of its latest execution.
func latestIndexes(blocks []BlockExecution) []int {
	// Most nodes run once: their slot is read from the block alone, and
	// created payloads (inputs above all can be large) are decoded only
	// for nodes with several executions.
	first := make(map[uuid.UUID]int, len(blocks))
	var multi map[uuid.UUID]bool
	for j := range blocks {
		if _, seen := first[blocks[j].NodeReferenceID]; seen {
			if multi == nil {
				multi = map[uuid.UUID]bool{}
			}
			multi[blocks[j].NodeReferenceID] = true
			continue
		}
		first[blocks[j].NodeReferenceID] = j
	}
	if multi == nil {
		out := make([]int, len(blocks))
		for j := range out {
			out[j] = j
		}
		return out
	}
	slots := make(map[int]Slot)
	latestIteration := map[uuid.UUID]int{}
	for j := range blocks {
		if node := blocks[j].NodeReferenceID; multi[node] {
			s := blocks[j].Slot()
			slots[j] = s
			latestIteration[node] = max(latestIteration[node], s.Iteration)
		}
	}
	position := make(map[slotKey]int, len(blocks))
	out := make([]int, 0, len(blocks))
	for j := range blocks {
		node := blocks[j].NodeReferenceID
		if !multi[node] {
			out = append(out, j)
			continue
		}
		s := slots[j]
		if s.Iteration < latestIteration[node] {
			continue
		}
		key := slotKey{node, s.Index}
		i, seen := position[key]
		if !seen {
			position[key] = len(out)
			out = append(out, j)
			continue
		}
		if s.Attempt >= slots[out[i]].Attempt {
			out[i] = j
		}
	}
	return out
}

// DeriveFlowState applies the rules of §3.4 in priority order to the latest
// attempt of each slot of flow:
//
//  1. any block failed → failed
//  2. any block cancelled → cancelled
//  3. every terminal node completed or skipped → completed
//  4. any block in_progress or pending → in_progress
//  5. all blocks pending (or none yet) → pending
//
// Every block listed counts for rules 1, 2, 4 and 5, including blocks of
// slots the flow does not have: a flow execution answers for every block
// execution it claims.
//
// The spec leaves one case open: no rule matches when some blocks have
// finished, none is running and a terminal node has not run yet (between
// two steps). That flow has begun and not ended, so it is in_progress.
func DeriveFlowState(flow *core.Flow, blocks []BlockExecution) State {
	latest := latestIndexes(blocks)
	// A node is satisfied (rule 3) when every execution that counts for it
	// is: its one latest attempt, or every item of a for_each node.
	satisfied := make(map[uuid.UUID]bool, len(latest))
	states := make([]State, len(latest))
	for i, j := range latest {
		s := blocks[j].State
		states[i] = s
		node := blocks[j].NodeReferenceID
		ok, seen := satisfied[node]
		satisfied[node] = (ok || !seen) && (s == StateCompleted || s == StateSkipped)
	}
	if s, ok := failedOrCancelled(states); ok {
		return s
	}
	// Rule 3 is read literally: a flow without nodes has all (zero) of its
	// terminal nodes satisfied.
	done := true
	for _, id := range flow.TerminalNodes() {
		if !satisfied[id] {
			done = false
			break
		}
	}
	if done {
		return StateCompleted
	}
	return activeOrPending(states)
}

// DeriveContractState applies the rules of §3.5 to the states of a
// contract's work-side flow executions and sub-contract executions.
// Assessment executions are deliberately not inputs: a contract whose work
// is completed stays completed even when its outcomes are not met.
func DeriveContractState(flowStates, subContractStates []State) State {
	states := make([]State, 0, len(flowStates)+len(subContractStates))
	states = append(states, flowStates...)
	states = append(states, subContractStates...)
	if s, ok := failedOrCancelled(states); ok {
		return s
	}
	// Rule 3 before rule 5, read literally: a contract with no work is
	// completed.
	all := true
	for _, s := range states {
		if s != StateCompleted && s != StateSkipped {
			all = false
			break
		}
	}
	if all {
		return StateCompleted
	}
	return activeOrPending(states)
}

func failedOrCancelled(states []State) (State, bool) {
	cancelled := false
	for _, s := range states {
		if s == StateFailed {
			return StateFailed, true
		}
		if s == StateCancelled {
			cancelled = true
		}
	}
	if cancelled {
		return StateCancelled, true
	}
	return "", false
}

// activeOrPending is rules 4 and 5, once rules 1–3 did not apply: all
// pending is pending; anything else has begun and not ended (rule 4, or
// the "between steps" case) and is in_progress.
func activeOrPending(states []State) State {
	for _, s := range states {
		if s != StatePending {
			return StateInProgress
		}
	}
	return StatePending
}
