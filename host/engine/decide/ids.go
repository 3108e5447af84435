package decide

import (
	"fmt"

	"github.com/google/uuid"
)

// Every id the engine writes is derived (UUIDv5) from the id of the
// execution it belongs to and what it is for. Re-running a decision after a
// crash therefore yields the ids the first run used, and the store turns
// the repeated appends into no-ops: nothing is ever duplicated, whatever
// instant the host died at.

// BlockExecutionID is the id of one run of a node's slot in a flow
// execution: its iteration (from 1), for_each item (-1: none) and attempt.
// Iteration 1 without an item keeps the id the engine has always used, so
// logs written before loops existed resume unchanged.
func BlockExecutionID(flowExec, node uuid.UUID, iteration, index, attempt int) uuid.UUID {
	if iteration <= 1 && index < 0 {
		return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "block/%s/%d", node, attempt))
	}
	return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "block/%s/%d/iteration/%d/item/%d", node, attempt, iteration, index))
}

// ForEachID names one iteration of a for_each node as a whole: the record
// of its items, and the source of the decisions on its outgoing edges.
func ForEachID(flowExec, node uuid.UUID, iteration int) uuid.UUID {
	return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "for_each/%s/%d", node, iteration))
}

// EventID is the id of the host-written event of execution exec that serves
// purpose ("created", "started", "terminal", …).
func EventID(exec uuid.UUID, purpose string) uuid.UUID {
	return uuid.NewSHA1(exec, []byte("event/"+purpose))
}

// ConditionRequestID identifies the question "is edge i taken, now that
// source (a block execution, a for_each iteration, or uuid.Nil for an entry
// edge) completed?".
func ConditionRequestID(flowExec uuid.UUID, edgeIndex int, source uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "condition/%d/%s", edgeIndex, source))
}

// Child executions of a contract execution.

// WorkFlowExecutionID is the execution of the contract's work_flows[i].
func WorkFlowExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "work/%d", i))
}

// SubContractExecutionID is the execution of the contract's sub_contracts[i].
func SubContractExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "sub/%d", i))
}

// TestFlowExecutionID is the execution of test flow i of binding j.
func TestFlowExecutionID(contractExec uuid.UUID, binding, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "test/%d/%d", binding, i))
}

// AssessmentFlowExecutionID is the execution of binding j's assessment flow.
func AssessmentFlowExecutionID(contractExec uuid.UUID, binding int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "assessment/%d", binding))
}
