package execution

import (
	"time"

	"github.com/google/uuid"
)

// Kind says which of the three execution entities a log belongs to. It is
// recorded in the payload of the log's first event, `created`.
type Kind string

// The execution kinds.
const (
	KindBlock    Kind = "block"
	KindFlow     Kind = "flow"
	KindContract Kind = "contract"
)

// Role says why a flow execution runs inside a contract execution.
type Role string

// The roles of a flow execution.
const (
	RoleWork       Role = "work"       // a contract's work-side flow, or a flow run on its own
	RoleTest       Role = "test"       // a test flow of an assessment binding
	RoleAssessment Role = "assessment" // the assessment flow of a binding
)

// Created is the payload of every `created` event. Kind says which of the
// groups of fields apply. The host appends it before anything else happens
// to an execution, so a crash at any instant leaves a record to resume from.
type Created struct {
	Kind Kind `json:"kind"`

	// Block executions.
	FlowExecutionID  uuid.UUID      `json:"flow_execution_id,omitzero"`
	NodeReferenceID  uuid.UUID      `json:"node_reference_id,omitzero"`
	WorkBlockID      uuid.UUID      `json:"work_block_id,omitzero"`
	WorkBlockVersion int            `json:"work_block_version,omitempty"`
	Inputs           map[string]any `json:"inputs,omitempty"`
	Attempt          int            `json:"attempt,omitempty"`
	// Iteration numbers the runs of one node in a flow execution (1, 2, …):
	// a loop runs a node again as a new block execution with the next
	// iteration. Absent (0) reads as 1.
	Iteration int `json:"iteration,omitempty"`
	// Index is the item of a for_each node this execution runs (from 0);
	// nil for a node without for_each.
	Index *int `json:"index,omitempty"`
	// Deadline is when the block fails for taking too long (node or block
	// metadata timeout), fixed when it is created so it survives restarts.
	Deadline *time.Time `json:"deadline,omitempty"`
	// TriggeredBy lists the block executions whose completion activated this
	// one (the spec's open question 2); empty for entry nodes.
	TriggeredBy []uuid.UUID `json:"triggered_by,omitempty"`

	// Flow executions.
	FlowID      uuid.UUID `json:"flow_id,omitzero"`
	FlowVersion int       `json:"flow_version,omitempty"`
	Role        Role      `json:"role,omitempty"`
	// RequiredOutcomeID names the outcome an assessment or test flow serves.
	RequiredOutcomeID uuid.UUID `json:"required_outcome_id,omitzero"`
	// RerunOf is the flow (or contract) execution this one reruns: its
	// completed work is claimed (see Claim) rather than run again.
	RerunOf uuid.UUID `json:"rerun_of,omitzero"`

	// Contract executions.
	ContractID      uuid.UUID `json:"contract_id,omitzero"`
	ContractVersion int       `json:"contract_version,omitempty"`

	// ParentExecutionID is the flow execution of a block, or the contract
	// execution of a flow or sub-contract; zero for a top-level run.
	ParentExecutionID uuid.UUID `json:"parent_execution_id,omitzero"`
	// Inputs of a flow run are in Inputs as well.
}

// Parent returns the execution that owns this one, or uuid.Nil.
func (c *Created) Parent() uuid.UUID {
	if c.Kind == KindBlock && c.FlowExecutionID != uuid.Nil {
		return c.FlowExecutionID
	}
	return c.ParentExecutionID
}

// Definition returns the id and version of the definition this execution runs.
func (c *Created) Definition() (uuid.UUID, int) {
	switch c.Kind {
	case KindBlock:
		return c.WorkBlockID, c.WorkBlockVersion
	case KindFlow:
		return c.FlowID, c.FlowVersion
	case KindContract:
		return c.ContractID, c.ContractVersion
	}
	return uuid.Nil, 0
}

// Outcome is the payload of an `outcome_produced` event: output port name →
// value. Several outcome events merge, later values winning.
type Outcome map[string]any

// Failure is the payload of a `failed` event (and, with Reason only, of
// `cancelled` and `skipped`).
type Failure struct {
	Reason string `json:"reason"`
	// Code is a short machine-readable cause, e.g. "exit_status",
	// "missing_output", "interrupted".
	Code    string         `json:"code,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// ProgressConditionDecision is the "type" of a progress payload that records
// how an edge's condition was decided on a flow execution's log, so that
// recovery never asks the same question twice.
const ProgressConditionDecision = "condition_decision"

// ConditionDecision is the payload of a progress event on a flow execution
// recording the decision of one edge's condition.
type ConditionDecision struct {
	Type string `json:"type"` // ProgressConditionDecision
	// RequestID matches the ConditionRequest that asked the question.
	RequestID uuid.UUID `json:"request_id"`
	// EdgeIndex is the edge's index in the flow definition's edges list.
	EdgeIndex int `json:"edge_index"`
	// SourceExecutionID is the block execution whose completion raised the
	// question (uuid.Nil for entry edges).
	SourceExecutionID uuid.UUID     `json:"source_execution_id,omitzero"`
	Value             bool          `json:"value"`
	Reason            string        `json:"reason,omitempty"`
	DecidedBy         *ExecutorInfo `json:"decided_by,omitempty"`
}
