package decide

import (
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Action is one thing a decision asks the executor to do. Every action is
// idempotent when performed with the ids it carries (or derives with this
// package's id functions): performing it twice, or after a crash halfway,
// leaves the log as performing it once would.
//
// The executor performs a flow's actions in this order: the flow's own
// log first (RecordStart, RecordDecision, RecordItems — the facts that
// justify what follows), then the block executions (CreateBlock, EndBlock),
// then the calls (Ensure, AskCondition, CancelBlock, TimeOut), then
// WakeAt, then Finish.
type Action interface{ action() }

// RecordStart appends the flow's (or contract's) started event.
type RecordStart struct{}

// RecordDecision appends a condition decision the host made itself (CEL).
type RecordDecision struct{ Decision execution.ConditionDecision }

// RecordItems appends the item list of a for_each iteration.
type RecordItems struct {
	ID    uuid.UUID // ForEachID
	Items ForEachItems
}

// Run is one run of a node's slot: which iteration, item and attempt.
type Run struct {
	Node      int
	Iteration int
	Index     int // -1: no for_each item
	Attempt   int
}

// CreateBlock creates a block execution for a plugin to run: the executor
// routes it, appends its created event and hands it to its plugin.
type CreateBlock struct {
	Run
	Inputs      map[string]any
	TriggeredBy []uuid.UUID
	Deadline    time.Time // zero: no timeout
}

// EndBlock creates a block execution the host ends at once: failed (a
// missing input, a condition error, the iteration limit), skipped (dead
// path) or completed (a for_each over an empty list).
type EndBlock struct {
	Run
	Inputs      map[string]any
	TriggeredBy []uuid.UUID
	State       execution.State
	Failure     execution.Failure // failed and skipped
	Outputs     map[string]any    // completed
}

// Ensure makes sure an open block execution is in its plugin's hands: a
// block this process has not handed over (it was left by a previous
// process) goes back to its plugin — ExecuteBlock when the plugin never
// recorded anything, else ResumeBlock.
type Ensure struct{ Block *Block }

// AskCondition puts a description-only condition to the conditions plugin;
// its answer arrives as a decision on the flow's log.
type AskCondition struct {
	RequestID  uuid.UUID
	Edge       int
	Source     uuid.UUID // the source block execution (uuid.Nil: entry)
	SourceNode int       // -1: entry edge
	Outputs    map[string]any
}

// CancelBlock stops an open block of a stopping flow.
type CancelBlock struct {
	Block  *Block
	Reason string
}

// TimeOut fails an open block that ran past its deadline, then asks its
// plugin to stop it.
type TimeOut struct {
	Block  *Block
	Reason string
}

// WakeAt asks for the flow to be decided again at a time (a retry's
// backoff, a deadline), even if nothing is appended meanwhile.
type WakeAt struct{ Time time.Time }

// Finish appends the flow's terminal event.
type Finish struct {
	State   execution.State
	Payload Ended
}

func (RecordStart) action()    {}
func (RecordDecision) action() {}
func (RecordItems) action()    {}
func (CreateBlock) action()    {}
func (EndBlock) action()       {}
func (Ensure) action()         {}
func (AskCondition) action()   {}
func (CancelBlock) action()    {}
func (TimeOut) action()        {}
func (WakeAt) action()         {}
func (Finish) action()         {}
