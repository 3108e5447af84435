package decide

import (
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// View is what a flow execution's log says, read into the shape decisions
// need: the flow's own log (start, cancel request, condition decisions,
// for_each item lists) and every block execution, per node. The engine
// keeps it up to date from the store; tests build it by hand.
type View struct {
	ID      uuid.UUID
	Inputs  map[string]any
	Started bool
	// Cancel is the cancel request recorded on the flow's log, if any.
	Cancel *CancelRequest
	// Decisions are the recorded condition decisions, by request id.
	Decisions map[uuid.UUID]execution.ConditionDecision
	// Items are the recorded item lists of for_each iterations, by
	// ForEachID, with the store position of their record.
	Items map[uuid.UUID]ItemsRecord
	// AskFailed holds the condition questions the conditions plugin could
	// not answer in this process, by request id, with the error: the
	// edge's target fails with it.
	AskFailed map[uuid.UUID]string
	// Slots holds, per node index, its block executions ordered by
	// iteration, item and attempt.
	Slots [][]*Block
}

// ItemsRecord is a for_each iteration's recorded items.
type ItemsRecord struct {
	ForEachItems
	// Order is the store position of the record: when the iteration began.
	Order uint64
}

// Block is one block execution as decisions see it.
type Block struct {
	ID        uuid.UUID
	Node      int
	Iteration int // from 1
	Index     int // for_each item, from 0; -1 for a node without for_each
	Attempt   int // from 1
	// Order is the store position of its created event: block executions
	// created later have larger orders. Loops compare orders to tell the
	// runs of a source that a node has not taken in yet.
	Order       uint64
	Inputs      map[string]any
	TriggeredBy []uuid.UUID
	Plugin      string
	State       execution.State
	// Touched is true once anything beyond the created event is recorded
	// (the plugin took it up).
	Touched   bool
	Outputs   map[string]any // once completed
	Failure   execution.Failure
	CreatedAt time.Time
	EndedAt   time.Time
	Deadline  time.Time // zero: none
	// SharedFrom is the flow execution that created the block execution
	// when this one claimed it (a rerun); uuid.Nil when it is its own.
	SharedFrom uuid.UUID
}

// Open reports whether the block has not ended.
func (b *Block) Open() bool { return !b.State.IsTerminal() }

// NewView returns an empty view of flow execution id for a plan.
func NewView(p *Plan, id uuid.UUID, inputs map[string]any) *View {
	return &View{
		ID: id, Inputs: inputs,
		Decisions: map[uuid.UUID]execution.ConditionDecision{},
		Items:     map[uuid.UUID]ItemsRecord{},
		AskFailed: map[uuid.UUID]string{},
		Slots:     make([][]*Block, len(p.Flow.Nodes)),
	}
}

// Add puts a block execution into its node's slots, keeping them ordered.
func (v *View) Add(b *Block) {
	s := append(v.Slots[b.Node], b)
	for k := len(s) - 1; k > 0 && before(s[k], s[k-1]); k-- {
		s[k], s[k-1] = s[k-1], s[k]
	}
	v.Slots[b.Node] = s
}

func before(a, b *Block) bool {
	if a.Iteration != b.Iteration {
		return a.Iteration < b.Iteration
	}
	if a.Index != b.Index {
		return a.Index < b.Index
	}
	return a.Attempt < b.Attempt
}
