package decide

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// The "type" of the progress payloads the engine writes, besides
// execution.ProgressConditionDecision.
const (
	// ProgressCancelRequested: someone asked to cancel a flow or contract
	// execution. The engine cancels what runs in it and then appends its
	// cancelled event.
	ProgressCancelRequested = "cancel_requested"
	// ProgressAssessmentResult: an assessment binding of a contract
	// execution produced its verdict.
	ProgressAssessmentResult = "assessment_result"
	// ProgressForEachItems: a for_each node began an iteration; the event
	// records its items, so every later decision reads the same list.
	ProgressForEachItems = "for_each_items"
)

// CancelRequest is the payload of a cancel_requested progress event.
type CancelRequest struct {
	Type   string `json:"type"` // ProgressCancelRequested
	Reason string `json:"reason"`
}

// ForEachItems is the payload of a for_each_items progress event on a flow
// execution's log.
type ForEachItems struct {
	Type      string    `json:"type"` // ProgressForEachItems
	NodeID    uuid.UUID `json:"node_id"`
	Iteration int       `json:"iteration"`
	Items     []any     `json:"items"`
	// Inputs are the node's wired inputs, which every item gets besides
	// its own item under the for_each's "as" port.
	Inputs      map[string]any `json:"inputs,omitempty"`
	TriggeredBy []uuid.UUID    `json:"triggered_by,omitempty"`
}

// AssessmentRecord is the payload of an assessment_result progress event on
// a contract execution's log.
type AssessmentRecord struct {
	Type string `json:"type"` // ProgressAssessmentResult
	execution.AssessmentResult
	// BindingIndex is the binding's index in the contract's
	// assessment_bindings.
	BindingIndex int `json:"binding_index"`
	// State is the assessment flow execution's final state; a result is a
	// verdict only when it is completed.
	State execution.State `json:"state"`
	// Reason explains a binding that produced no verdict (a test flow or the
	// assessment flow failed).
	Reason string `json:"reason,omitempty"`
	// TestFlowExecutionIDs are the binding's test flow executions.
	TestFlowExecutionIDs []uuid.UUID `json:"test_flow_execution_ids,omitempty"`
}

// Ended is the payload of the terminal event the engine appends to a flow or
// contract execution. Its reason and code fields read as an
// execution.Failure.
type Ended struct {
	Reason string `json:"reason,omitempty"`
	// Code is a short machine-readable cause: "block_failed",
	// "block_cancelled", "cancel_requested", "definition_missing",
	// "work_failed", "work_cancelled", "stuck".
	Code string `json:"code,omitempty"`
	// BlockExecutionID is the block execution that failed or was cancelled.
	BlockExecutionID uuid.UUID `json:"block_execution_id,omitzero"`
	// Outputs of a flow: terminal node key (alias) → output port → value.
	Outputs map[string]map[string]any `json:"outputs,omitempty"`
	// Assessments of a contract, one per binding that ran.
	Assessments []execution.AssessmentResult `json:"assessments,omitempty"`
}

// Failure codes of block executions the host itself fails or ends.
const (
	CodeMissingInput      = "missing_input"
	CodeUnroutable        = "unroutable"
	CodeConditionError    = "condition_error"
	CodeDefinitionMissing = "definition_missing"
	// CodeAdapterError is retried: the plugin may answer next time.
	CodeAdapterError = "adapter_error"
	// CodeCancelUnconfirmed: the adapter did not record the cancellation
	// it was asked for in time, so the host did.
	CodeCancelUnconfirmed = "cancel_unconfirmed"
	// CodeIterationLimit: a loop would run the node more often than its
	// max_iterations allows.
	CodeIterationLimit = "iteration_limit"
	// CodeForEachError: a for_each node's items could not be computed, or
	// are too many.
	CodeForEachError = "for_each_error"
	// CodeTimeout is retried: the block ran past its timeout.
	CodeTimeout = "timeout"
	// CodeDeadPath is the code of a skipped block: every edge into it died.
	CodeDeadPath = "dead_path"
	// CodeStuck ends a flow that can make no more progress.
	CodeStuck = "stuck"
)

// retryable reports whether a block failure with this code may be retried:
// the host's own failures are not, since running the same block again
// cannot change them.
func retryable(code string) bool {
	switch code {
	case CodeMissingInput, CodeUnroutable, CodeConditionError, CodeDefinitionMissing,
		CodeCancelUnconfirmed, CodeIterationLimit, CodeForEachError:
		return false
	}
	return true
}
