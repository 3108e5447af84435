package tasks

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Kinds of task.
const (
	KindBlock    = "block"    // a block execution run by the manual plugin
	KindDecision = "decision" // a yes/no question on a condition
)

// States of a task.
const (
	StateOpen      = "open"      // waiting for someone of its group, or anyone
	StateClaimed   = "claimed"   // held by one person
	StateCompleted = "completed" // done (for a decision: decided)
	StateFailed    = "failed"
	StateCancelled = "cancelled"
	StateSkipped   = "skipped"
	StateClosed    = "closed" // a question whose flow ended unanswered
)

// Holder kinds, in the metadata "kind" of an executor_assigned executor.
const (
	holderPerson     = "person"
	holderGroup      = "group"
	holderUnassigned = "unassigned"
)

// Task is one piece of people's work, as projected from the log.
type Task struct {
	ID   uuid.UUID `json:"id"`
	Kind string    `json:"kind"`
	// State is one of the State* constants.
	State        string         `json:"state"`
	Title        string         `json:"title"`
	Description  string         `json:"description,omitempty"`
	Instructions string         `json:"instructions,omitempty"`
	Inputs       map[string]any `json:"inputs,omitempty"`
	// Outputs are the ports to fill.
	Outputs []Port `json:"outputs"`
	// FlowExecutionID is the flow the task belongs to; for a block task,
	// ID is its block execution.
	FlowExecutionID uuid.UUID `json:"flow_execution_id"`
	Block           string    `json:"block,omitempty"`
	BlockVersion    int       `json:"block_version,omitempty"`
	Node            string    `json:"node,omitempty"`
	// Decision fields.
	Question string           `json:"question,omitempty"`
	Context  *DecisionContext `json:"context,omitempty"`
	// Who may act: the person holding the task, or the groups whose
	// members may; neither means anyone.
	Assignee        string     `json:"assignee,omitempty"`
	CandidateGroups []string   `json:"candidate_groups,omitempty"`
	Escalated       bool       `json:"escalated,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	Due             *time.Time `json:"due,omitempty"`
	Overdue         bool       `json:"overdue,omitempty"`
	// How it ended.
	Result  map[string]any          `json:"result,omitempty"`
	Reason  string                  `json:"reason,omitempty"`
	EndedBy *execution.ExecutorInfo `json:"ended_by,omitempty"`
	EndedAt *time.Time              `json:"ended_at,omitempty"`
	// Sequence is the last sequence of the log the task was read from.
	Sequence uint64 `json:"sequence"`
}

// Ended reports whether nothing more can be done on the task.
func (t *Task) Ended() bool { return t.State != StateOpen && t.State != StateClaimed }

// markOverdue sets Overdue against now.
func (t *Task) markOverdue(now time.Time) {
	t.Overdue = !t.Ended() && t.Due != nil && now.After(*t.Due)
}

// holderOf reads an executor_assigned executor: which kind of holder, and
// the person or groups.
func holderOf(x *execution.ExecutorInfo) (kind, person string, groups []string) {
	if x == nil {
		return holderUnassigned, "", nil
	}
	kind, _ = x.Metadata["kind"].(string)
	switch kind {
	case holderGroup:
		if list, ok := x.Metadata["groups"].([]any); ok {
			for _, g := range list {
				if s, ok := g.(string); ok {
					groups = append(groups, s)
				}
			}
		}
		return kind, "", groups
	case holderUnassigned:
		return kind, "", nil
	}
	// A human executor without our metadata is a person (e.g. recorded by
	// another tool); anything else holds nothing a person must respect.
	if x.Type == execution.ExecutorHuman && x.Identifier != "" {
		return holderPerson, x.Identifier, nil
	}
	return holderUnassigned, "", nil
}

// projectBlockTask builds the task of a block execution's log; ok is false
// when the log holds no task (not a manual block).
func projectBlockTask(events []execution.Event) (Task, bool) {
	created, err := execution.CreatedOf(events)
	if err != nil || created.Kind != execution.KindBlock {
		return Task{}, false
	}
	var payload *TaskPayload
	t := Task{
		ID: events[0].ExecutionID, Kind: KindBlock, State: StateOpen,
		FlowExecutionID: created.FlowExecutionID, CreatedAt: events[0].Timestamp,
		Sequence: events[len(events)-1].Sequence,
	}
	var holder *execution.ExecutorInfo
	for i := range events {
		ev := &events[i]
		switch ev.EventType {
		case execution.EventProgress:
			if payload == nil {
				var p TaskPayload
				if ev.DecodePayload(&p) == nil && p.Type == ProgressTask {
					payload = &p
				}
			}
		case execution.EventExecutorAssigned:
			holder = ev.Executor
			if ev.Executor != nil && ev.Executor.Metadata["escalated"] == true {
				t.Escalated = true
			}
		case execution.EventExecutorReleased:
			holder = nil
		case execution.EventOutcomeProduced:
			var o execution.Outcome
			if ev.DecodePayload(&o) == nil {
				if t.Result == nil {
					t.Result = map[string]any{}
				}
				for k, v := range o {
					t.Result[k] = v
				}
			}
		}
		if ev.EventType.IsTerminal() && !t.Ended() {
			t.State = string(execution.StateOf(ev.EventType))
			var f execution.Failure
			if ev.EventType != execution.EventCompleted && ev.DecodePayload(&f) == nil {
				t.Reason = f.Reason
			}
			t.EndedBy = ev.Executor
			at := ev.Timestamp
			t.EndedAt = &at
		}
	}
	if payload == nil {
		return Task{}, false
	}
	t.Title, t.Description, t.Instructions = payload.Title, payload.Description, payload.Instructions
	t.Inputs, t.Outputs = payload.Inputs, payload.Outputs
	t.Block, t.BlockVersion, t.Node, t.Due = payload.BlockName, payload.BlockVersion, payload.Node, payload.Due
	if !t.Ended() {
		kind, person, groups := holderOf(holder)
		switch kind {
		case holderPerson:
			t.State, t.Assignee = StateClaimed, person
		case holderGroup:
			t.CandidateGroups = groups
		}
		if holder == nil {
			// Released and not re-assigned yet (a plugin restart): who
			// may act is what the task was created with.
			t.Assignee, t.CandidateGroups = payload.Assignee, payload.CandidateGroups
			if t.Assignee != "" {
				t.State = StateClaimed
			}
		}
	}
	return t, true
}

// projectDecisions builds the decision tasks of a flow execution's log.
func projectDecisions(events []execution.Event, flowEnded bool) []Task {
	var order []uuid.UUID
	tasks := map[uuid.UUID]*Task{}
	last := uint64(0)
	if len(events) > 0 {
		last = events[len(events)-1].Sequence
	}
	for i := range events {
		ev := &events[i]
		if ev.EventType != execution.EventProgress {
			continue
		}
		var kind struct {
			Type string `json:"type"`
		}
		if ev.DecodePayload(&kind) != nil {
			continue
		}
		switch kind.Type {
		case ProgressDecisionRequest:
			var r DecisionRequest
			if ev.DecodePayload(&r) != nil || tasks[r.RequestID] != nil {
				continue
			}
			ctx := r.Context
			tasks[r.RequestID] = &Task{
				ID: r.RequestID, Kind: KindDecision, State: StateOpen, Title: r.Question, Question: r.Question,
				Context: &ctx, Outputs: decisionPorts, FlowExecutionID: ev.ExecutionID,
				Assignee: r.Assignee, CandidateGroups: r.CandidateGroups, Due: r.Due,
				CreatedAt: ev.Timestamp, Sequence: last,
			}
			if r.Assignee != "" {
				tasks[r.RequestID].State = StateClaimed
			}
			order = append(order, r.RequestID)
		case ProgressDecisionEscalated:
			var e DecisionEscalation
			if ev.DecodePayload(&e) == nil {
				if t := tasks[e.RequestID]; t != nil && !t.Ended() {
					t.Escalated, t.Assignee, t.CandidateGroups, t.State = true, "", []string{e.Group}, StateOpen
				}
			}
		case execution.ProgressConditionDecision:
			var d execution.ConditionDecision
			if ev.DecodePayload(&d) != nil {
				continue
			}
			if t := tasks[d.RequestID]; t != nil && !t.Ended() {
				t.State = StateCompleted
				t.Result = map[string]any{"answer": d.Value}
				if d.Reason != "" {
					t.Result["reason"] = d.Reason
				}
				t.EndedBy = d.DecidedBy
				at := ev.Timestamp
				t.EndedAt = &at
			}
		}
	}
	out := make([]Task, 0, len(order))
	for _, id := range order {
		t := tasks[id]
		if flowEnded && !t.Ended() {
			t.State = StateClosed
		}
		out = append(out, *t)
	}
	return out
}

// decisionEventID is the id of the condition decision answering request
// req on flow execution flow: the one the engine itself uses, so that a
// decision is recorded once whoever records it.
func decisionEventID(flow, req uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(flow, []byte("event/decision/"+req.String()))
}

// decisionRequestEventID is the id of the event that asks question req.
func decisionRequestEventID(flow, req uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(flow, []byte("tasks/decision-request/"+req.String()))
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return slices.Equal(xa, ya)
}
