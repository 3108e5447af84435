package engine

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
)

// CancelRequest is the payload of a cancel_requested progress event.
type CancelRequest struct {
	Type   string `json:"type"` // ProgressCancelRequested
	Reason string `json:"reason"`
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
	// "work_failed", "work_cancelled".
	Code string `json:"code,omitempty"`
	// BlockExecutionID is the block execution that failed or was cancelled.
	BlockExecutionID uuid.UUID `json:"block_execution_id,omitzero"`
	// Outputs of a flow: terminal node key (alias) → output port → value.
	Outputs map[string]map[string]any `json:"outputs,omitempty"`
	// Assessments of a contract, one per binding that ran.
	Assessments []execution.AssessmentResult `json:"assessments,omitempty"`
}

// Failure codes of block executions the host itself fails. None of them is
// retried: running the same block again cannot change the outcome.
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
)

// MetadataPlugin is the key of the created event's metadata that records
// the plugin a block execution was routed to, so recovery resumes it on the
// plugin that owns it even if the routing configuration changed since.
const MetadataPlugin = "plugin"

func hostExecutor() *execution.ExecutorInfo {
	return &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "openoma-host"}
}
