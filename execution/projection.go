package execution

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// BlockExecution is the projection of one block execution's log (§3.3).
// Inputs, outputs, executor, attempt and timing are read from the events.
type BlockExecution struct {
	ID               uuid.UUID `json:"id"`
	NodeReferenceID  uuid.UUID `json:"node_reference_id"`
	WorkBlockID      uuid.UUID `json:"work_block_id"`
	WorkBlockVersion int       `json:"work_block_version"`
	State            State     `json:"state"`
	Events           []Event   `json:"events"`
}

// FlowExecution is the projection of one flow execution (§3.4). Its state is
// derived from its block executions, never set on its own.
type FlowExecution struct {
	ID              uuid.UUID   `json:"id"`
	FlowID          uuid.UUID   `json:"flow_id"`
	FlowVersion     int         `json:"flow_version"`
	BlockExecutions []uuid.UUID `json:"block_executions"`
	State           State       `json:"state"`
	Events          []Event     `json:"events"`
}

// AssessmentResult links an assessment flow's execution to the outcome it
// evaluated (§3.5).
type AssessmentResult struct {
	RequiredOutcomeID         uuid.UUID `json:"required_outcome_id"`
	AssessmentFlowExecutionID uuid.UUID `json:"assessment_flow_execution_id"`
	Result                    any       `json:"result"`
}

// ContractExecution is the projection of one contract execution (§3.5).
type ContractExecution struct {
	ID                    uuid.UUID          `json:"id"`
	ContractID            uuid.UUID          `json:"contract_id"`
	ContractVersion       int                `json:"contract_version"`
	FlowExecutions        []uuid.UUID        `json:"flow_executions"`
	SubContractExecutions []uuid.UUID        `json:"sub_contract_executions"`
	AssessmentExecutions  []AssessmentResult `json:"assessment_executions"`
	State                 State              `json:"state"`
	Events                []Event            `json:"events"`
}

// CreatedOf returns the decoded payload of the first event of a log, which
// must be `created`.
func CreatedOf(events []Event) (Created, error) {
	var c Created
	if len(events) == 0 {
		return c, fmt.Errorf("empty log: no created event")
	}
	if events[0].EventType != EventCreated {
		return c, fmt.Errorf("execution %s: first event is %s, want created", events[0].ExecutionID, events[0].EventType)
	}
	if err := events[0].DecodePayload(&c); err != nil {
		return c, err
	}
	return c, nil
}

// ProjectBlock builds the BlockExecution of one block execution's log.
func ProjectBlock(events []Event) (BlockExecution, error) {
	c, err := CreatedOf(events)
	if err != nil {
		return BlockExecution{}, err
	}
	if c.Kind != KindBlock {
		return BlockExecution{}, fmt.Errorf("execution %s is a %s execution, not a block execution", events[0].ExecutionID, c.Kind)
	}
	return BlockExecution{
		ID:               events[0].ExecutionID,
		NodeReferenceID:  c.NodeReferenceID,
		WorkBlockID:      c.WorkBlockID,
		WorkBlockVersion: c.WorkBlockVersion,
		State:            DeriveBlockState(events),
		Events:           events,
	}, nil
}

// Attempt returns the attempt number recorded at creation (1 when absent).
func (b *BlockExecution) Attempt() int {
	if len(b.Events) == 0 || b.Events[0].EventType != EventCreated {
		return 1
	}
	// Only the attempt field is decoded: the rest of the created payload
	// (inputs above all) can be large, and retries compare attempts often.
	var c struct {
		Attempt int `json:"attempt"`
	}
	if err := b.Events[0].DecodePayload(&c); err != nil || c.Attempt < 1 {
		return 1
	}
	return c.Attempt
}

// Slot says which run of its node a block execution is: the node's
// iteration (from 1), the for_each item (-1 when the node has none) and the
// attempt (from 1).
type Slot struct {
	Iteration int
	Index     int
	Attempt   int
}

// Slot returns the slot recorded at creation; fields absent from the
// created payload read as iteration 1, no item, attempt 1.
func (b *BlockExecution) Slot() Slot {
	s := Slot{Iteration: 1, Index: -1, Attempt: 1}
	if len(b.Events) == 0 || b.Events[0].EventType != EventCreated {
		return s
	}
	var c struct {
		Attempt   int  `json:"attempt"`
		Iteration int  `json:"iteration"`
		Index     *int `json:"index"`
	}
	if err := b.Events[0].DecodePayload(&c); err != nil {
		return s
	}
	s.Attempt, s.Iteration = max(c.Attempt, 1), max(c.Iteration, 1)
	if c.Index != nil && *c.Index >= 0 {
		s.Index = *c.Index
	}
	return s
}

// Inputs returns the inputs recorded at creation.
func (b *BlockExecution) Inputs() map[string]any {
	c, _ := CreatedOf(b.Events)
	return c.Inputs
}

// Outputs merges every outcome_produced payload, in log order.
func (b *BlockExecution) Outputs() map[string]any {
	out := map[string]any{}
	for i := range b.Events {
		if b.Events[i].EventType != EventOutcomeProduced {
			continue
		}
		var o Outcome
		if err := b.Events[i].DecodePayload(&o); err != nil {
			continue
		}
		for k, v := range o {
			out[k] = v
		}
	}
	return out
}

// Executor returns the executor currently holding the execution: the last
// one assigned and not released since, or nil.
func (b *BlockExecution) Executor() *ExecutorInfo {
	var cur *ExecutorInfo
	for i := range b.Events {
		switch b.Events[i].EventType {
		case EventExecutorAssigned:
			cur = b.Events[i].Executor
		case EventExecutorReleased:
			cur = nil
		}
	}
	return cur
}

// StartedAt returns the time of the first `started` event, or the zero time.
func (b *BlockExecution) StartedAt() time.Time {
	for _, e := range b.Events {
		if e.EventType == EventStarted {
			return e.Timestamp
		}
	}
	return time.Time{}
}

// EndedAt returns the time of the terminal event, or the zero time.
func (b *BlockExecution) EndedAt() time.Time {
	for _, e := range b.Events {
		if e.EventType.IsTerminal() {
			return e.Timestamp
		}
	}
	return time.Time{}
}

// FailureReason returns the reason of a failed, cancelled or skipped block.
func (b *BlockExecution) FailureReason() string {
	for i := range b.Events {
		if b.Events[i].EventType.IsTerminal() && b.Events[i].EventType != EventCompleted {
			var f Failure
			_ = b.Events[i].DecodePayload(&f)
			return f.Reason
		}
	}
	return ""
}
