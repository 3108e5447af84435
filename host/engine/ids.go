package engine

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/host/engine/decide"
)

// The engine's ids are the decide package's (see there why they are
// derived): these short forms are what the executor and its tests use.

// blockExecutionID is the id of attempt n of iteration 1 of node's slot.
func blockExecutionID(flowExec, node uuid.UUID, attempt int) uuid.UUID {
	return decide.BlockExecutionID(flowExec, node, 1, -1, attempt)
}

func eventID(exec uuid.UUID, purpose string) uuid.UUID { return decide.EventID(exec, purpose) }

func workFlowExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return decide.WorkFlowExecutionID(contractExec, i)
}

func subContractExecutionID(contractExec uuid.UUID, i int) uuid.UUID {
	return decide.SubContractExecutionID(contractExec, i)
}

func testFlowExecutionID(contractExec uuid.UUID, binding, i int) uuid.UUID {
	return decide.TestFlowExecutionID(contractExec, binding, i)
}

func assessmentFlowExecutionID(contractExec uuid.UUID, binding int) uuid.UUID {
	return decide.AssessmentFlowExecutionID(contractExec, binding)
}
