package engine

import (
	"fmt"

	"github.com/google/uuid"
)

// Every id the engine writes is derived (UUIDv5) from the id of the
// execution it belongs to and what it is for. Re-running a reconcile after a
// crash therefore appends events and creates executions with the ids it
// would have used the first time, and the store turns the repeat into a
// no-op: nothing is ever duplicated, whatever instant the host died at.

// blockExecutionID is the id of attempt n of node's slot in a flow execution.
func blockExecutionID(flowExec, node uuid.UUID, attempt int) uuid.UUID {
	return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "block/%s/%d", node, attempt))
}

// eventID is the id of the host-written event of execution exec that serves
// purpose ("created", "started", "terminal", …).
func eventID(exec uuid.UUID, purpose string) uuid.UUID {
	return uuid.NewSHA1(exec, []byte("event/"+purpose))
}

// conditionRequestID identifies the question "is edge i taken, now that
// source (a block execution, or uuid.Nil for an entry edge) completed?".
func conditionRequestID(flowExec uuid.UUID, edgeIndex int, source uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(flowExec, fmt.Appendf(nil, "condition/%d/%s", edgeIndex, source))
}

// Child executions of a contract execution.
func workFlowExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "work/%d", i))
}

func subContractExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "sub/%d", i))
}

func testFlowExecutionID(contractExec uuid.UUID, binding, i int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "test/%d/%d", binding, i))
}

func assessmentFlowExecutionID(contractExec uuid.UUID, binding int) uuid.UUID {
	return uuid.NewSHA1(contractExec, fmt.Appendf(nil, "assessment/%d", binding))
}
