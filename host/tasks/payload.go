package tasks

import (
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// The "type" of the progress payloads this package reads and writes.
const (
	// ProgressTask: the manual plugin's description of a block's task
	// (TaskPayload), on the block execution's log.
	ProgressTask = execution.ProgressTask
	// ProgressDecisionRequest: a yes/no question for a person
	// (DecisionRequest), on the flow execution's log.
	ProgressDecisionRequest = "decision_request"
	// ProgressDecisionEscalated: an overdue question handed to the
	// escalation group (DecisionEscalation), on the flow execution's log.
	ProgressDecisionEscalated = "decision_escalated"
)

type (
	// Port is one output port a person fills.
	Port = execution.TaskPort
	// TaskPayload is the manual plugin's task description.
	TaskPayload = execution.TaskPayload
)

// DecisionRequest is a yes/no question put to people, recorded on the flow
// execution's log when the conditions plugin answered Pending.
type DecisionRequest struct {
	Type              string          `json:"type"` // ProgressDecisionRequest
	RequestID         uuid.UUID       `json:"request_id"`
	EdgeIndex         int             `json:"edge_index"`
	SourceExecutionID uuid.UUID       `json:"source_execution_id,omitzero"`
	Question          string          `json:"question"`
	Context           DecisionContext `json:"context"`
	Assignee          string          `json:"assignee,omitempty"`
	CandidateGroups   []string        `json:"candidate_groups,omitempty"`
	Due               *time.Time      `json:"due,omitempty"`
	// Plugin is the conditions plugin that left the question to people.
	Plugin string `json:"plugin,omitempty"`
}

// DecisionContext is what a person deciding sees.
type DecisionContext struct {
	FlowInputs    map[string]any `json:"flow_inputs,omitempty"`
	SourceOutputs map[string]any `json:"source_outputs,omitempty"`
	Source        map[string]any `json:"source,omitempty"`
}

// DecisionEscalation records that an overdue question went to a group.
type DecisionEscalation struct {
	Type      string    `json:"type"` // ProgressDecisionEscalated
	RequestID uuid.UUID `json:"request_id"`
	Group     string    `json:"group"`
}

// decisionPorts are the outputs of a decision task.
var decisionPorts = []Port{
	{Name: "answer", Description: "yes (true) or no (false)", Required: true, Schema: map[string]any{"type": "boolean"}},
	{Name: "reason", Description: "why, for the record", Required: false, Schema: map[string]any{"type": "string"}},
}
