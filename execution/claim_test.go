package execution_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// A rerun's flow execution that claims the completed A, B, C and E of a
// failed run and runs D itself is completed by its own D and the claimed
// rest: the claimed block executions count like owned ones and are listed
// in block_executions.
func TestProjectFlowCountsClaimedBlocks(t *testing.T) {
	d := newDiamond()
	oldFlow, newFlow := uuid.New(), uuid.New()
	claimed := []execution.BlockExecution{
		block(d.a, 1, execution.StateCompleted), block(d.b, 1, execution.StateCompleted),
		block(d.c, 1, execution.StateCompleted), block(d.e, 1, execution.StateCompleted),
	}
	own := block(d.d, 1, execution.StateCompleted)
	created, _ := json.Marshal(execution.Created{Kind: execution.KindFlow, FlowID: d.flow.ID, FlowVersion: 1, RerunOf: oldFlow})
	events := []execution.Event{{ID: uuid.New(), ExecutionID: newFlow, EventType: execution.EventCreated, Timestamp: t0, Payload: created}}
	var ids []uuid.UUID
	for _, b := range claimed {
		raw, _ := json.Marshal(execution.Claim{Type: execution.ProgressClaim, FlowExecutionID: oldFlow, NodeReferenceID: b.NodeReferenceID,
			Iteration: 1, BlockExecutionIDs: []uuid.UUID{b.ID}})
		events = append(events, execution.Event{ID: uuid.New(), ExecutionID: newFlow, EventType: execution.EventProgress, Timestamp: t0, Payload: raw})
		ids = append(ids, b.ID)
	}
	if got := execution.ClaimsOf(events); len(got) != 4 || got[0].FlowExecutionID != oldFlow {
		t.Fatalf("ClaimsOf = %+v", got)
	}

	f, err := execution.ProjectFlow(d.flow, events, []execution.BlockExecution{own})
	if err != nil {
		t.Fatal(err)
	}
	if f.State == execution.StateCompleted {
		t.Errorf("without the claimed blocks given, state = %s; it cannot be completed", f.State)
	}
	if len(f.BlockExecutions) != 5 {
		t.Errorf("block_executions = %v, want its own and the 4 claimed", f.BlockExecutions)
	}

	f, err = execution.ProjectFlow(d.flow, events, append([]execution.BlockExecution{own}, claimed...))
	if err != nil {
		t.Fatal(err)
	}
	if f.State != execution.StateCompleted {
		t.Errorf("state = %s, want completed", f.State)
	}
	for _, id := range append(ids, own.ID) {
		if !slices.Contains(f.BlockExecutions, id) {
			t.Errorf("block_executions %v lacks %s", f.BlockExecutions, id)
		}
	}
	if len(f.BlockExecutions) != 5 {
		t.Errorf("block_executions = %v: a block both given and claimed is listed once", f.BlockExecutions)
	}
	raw, _ := json.Marshal(f)
	var back struct {
		BlockExecutions []uuid.UUID `json:"block_executions"`
	}
	if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockExecutions) != 5 {
		t.Errorf("JSON projection block_executions = %v (%v)", back.BlockExecutions, err)
	}
}
