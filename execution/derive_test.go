package execution_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

const (
	pending    = execution.StatePending
	inProgress = execution.StateInProgress
	completed  = execution.StateCompleted
	failed     = execution.StateFailed
	skipped    = execution.StateSkipped
	cancelled  = execution.StateCancelled
)

func TestDeriveBlockState(t *testing.T) {
	const (
		created  = execution.EventCreated
		assigned = execution.EventExecutorAssigned
		released = execution.EventExecutorReleased
		started  = execution.EventStarted
		progress = execution.EventProgress
		outcome  = execution.EventOutcomeProduced
	)
	cases := []struct {
		name  string
		types []execution.EventType
		want  execution.State
	}{
		{"empty log", nil, pending},
		{"created only", []execution.EventType{created}, pending},
		{"assigned, not started", []execution.EventType{created, assigned}, pending},
		{"released before starting", []execution.EventType{created, assigned, released}, pending},
		{"started", []execution.EventType{created, started}, inProgress},
		{"working", []execution.EventType{created, assigned, started, progress, outcome, progress}, inProgress},
		{"executor crashed mid-work", []execution.EventType{created, assigned, started, released}, inProgress},
		{"completed", []execution.EventType{created, started, outcome, execution.EventCompleted}, completed},
		{"completed without started", []execution.EventType{created, execution.EventCompleted}, completed},
		{"failed", []execution.EventType{created, started, execution.EventFailed}, failed},
		{"skipped before starting", []execution.EventType{created, execution.EventSkipped}, skipped},
		{"cancelled", []execution.EventType{created, started, execution.EventCancelled}, cancelled},
		{"handoff (spec §3.2)", []execution.EventType{created, assigned, started, released, assigned, execution.EventCompleted}, completed},
		{"administrative events after the terminal one", []execution.EventType{created, started, execution.EventFailed, progress, released}, failed},
		// Stores refuse these logs; derivation still answers, and the first
		// terminal event decides.
		{"first terminal wins: failed then completed", []execution.EventType{created, started, execution.EventFailed, execution.EventCompleted}, failed},
		{"first terminal wins: completed then cancelled", []execution.EventType{created, execution.EventCompleted, execution.EventCancelled}, completed},
		{"started after terminal", []execution.EventType{created, execution.EventSkipped, started}, skipped},
		{"unknown type is ignored", []execution.EventType{created, "paused"}, pending},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := make([]execution.Event, len(c.types))
			for i, typ := range c.types {
				evs[i] = execution.Event{ID: uuid.New(), EventType: typ}
			}
			if got := execution.DeriveBlockState(evs); got != c.want {
				t.Errorf("DeriveBlockState(%v) = %s, want %s", c.types, got, c.want)
			}
		})
	}
}

func TestDeriveFlowState(t *testing.T) {
	d := newDiamond()
	other := uuid.New() // a slot that is not in the flow
	cases := []struct {
		name   string
		blocks []execution.BlockExecution
		want   execution.State
	}{
		// Rule 5: all blocks pending.
		{"rule 5: no blocks yet", nil, pending},
		{"rule 5: entry blocks created, none started", bl(block(d.a, 1, pending), block(d.e, 1, pending)), pending},
		// Rule 4: begun, not ended.
		{"rule 4: one started", bl(block(d.a, 1, inProgress), block(d.e, 1, pending)), inProgress},
		{"rule 4: between steps (A done, B and C not created)", bl(block(d.a, 1, completed)), inProgress},
		{"rule 4: one terminal done, the other pending", bl(block(d.a, 1, completed), block(d.b, 1, completed), block(d.c, 1, completed), block(d.d, 1, completed), block(d.e, 1, pending)), inProgress},
		{"rule 4: skipped non-terminal, rest pending", bl(block(d.a, 1, completed), block(d.b, 1, skipped), block(d.c, 1, pending)), inProgress},
		// Rule 3: every terminal node completed or skipped.
		{"rule 3: terminals completed", bl(block(d.a, 1, completed), block(d.b, 1, completed), block(d.c, 1, completed), block(d.d, 1, completed), block(d.e, 1, completed)), completed},
		{"rule 3: skipped terminal counts as satisfied", bl(block(d.a, 1, completed), block(d.b, 1, skipped), block(d.c, 1, skipped), block(d.d, 1, skipped), block(d.e, 1, completed)), completed},
		{"rule 3: every terminal skipped", bl(block(d.d, 1, skipped), block(d.e, 1, skipped)), completed},
		{"rule 3 beats rule 4: terminals done while a non-terminal still runs", bl(block(d.b, 1, inProgress), block(d.d, 1, completed), block(d.e, 1, completed)), completed},
		{"rule 3 needs terminals, not all blocks: only non-terminals completed", bl(block(d.a, 1, completed), block(d.b, 1, completed), block(d.c, 1, completed)), inProgress},
		// Rule 2: any cancelled.
		{"rule 2: a block cancelled", bl(block(d.a, 1, cancelled)), cancelled},
		{"rule 2 beats rule 3: cancelled beats completed", bl(block(d.a, 1, completed), block(d.b, 1, cancelled), block(d.c, 1, completed), block(d.d, 1, completed), block(d.e, 1, completed)), cancelled},
		{"rule 2 beats rule 4", bl(block(d.a, 1, inProgress), block(d.e, 1, cancelled)), cancelled},
		// Rule 1: any failed.
		{"rule 1: a block failed", bl(block(d.a, 1, failed)), failed},
		{"rule 1 beats rule 2: failed beats cancelled", bl(block(d.a, 1, cancelled), block(d.e, 1, failed)), failed},
		{"rule 1 beats rule 2, either order", bl(block(d.e, 1, failed), block(d.a, 1, cancelled)), failed},
		{"rule 1 beats rule 3: failed non-terminal, terminals done", bl(block(d.b, 1, failed), block(d.d, 1, completed), block(d.e, 1, completed)), failed},
		{"rule 1 beats rule 4", bl(block(d.a, 1, inProgress), block(d.e, 1, failed)), failed},
		// Retries: the latest attempt per slot wins.
		{"retry succeeded: failed attempt 1 no longer counts", bl(block(d.a, 1, failed), block(d.a, 2, completed), block(d.b, 1, completed), block(d.c, 1, completed), block(d.d, 1, completed), block(d.e, 1, completed)), completed},
		{"retry running: failed attempt 1 no longer counts", bl(block(d.a, 1, failed), block(d.a, 2, inProgress)), inProgress},
		{"retry failed after a cancelled attempt", bl(block(d.e, 1, cancelled), block(d.e, 2, failed)), failed},
		{"attempts listed out of order", bl(block(d.a, 2, completed), block(d.a, 1, failed), block(d.d, 1, completed), block(d.e, 1, completed)), completed},
		{"latest attempt of a terminal slot not done yet", bl(block(d.d, 1, completed), block(d.d, 2, inProgress), block(d.e, 1, completed)), inProgress},
		{"retry of a terminal slot failed", bl(block(d.d, 1, completed), block(d.d, 2, failed), block(d.e, 1, completed)), failed},
		{"same attempt twice: the last listed wins", bl(block(d.e, 1, failed), block(d.e, 1, completed), block(d.d, 1, completed)), completed},
		// Blocks of slots the flow does not have still count for rules 1, 2
		// and 4: a flow execution owns every block it lists.
		{"failed block of a foreign slot", bl(block(d.d, 1, completed), block(d.e, 1, completed), block(other, 1, failed)), failed},
		{"running block of a foreign slot", bl(block(other, 1, inProgress)), inProgress},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := execution.DeriveFlowState(d.flow, c.blocks); got != c.want {
				t.Errorf("DeriveFlowState = %s, want %s; blocks: %s", got, c.want, describeBlocks(d, c.blocks))
			}
		})
	}
}

func TestDeriveFlowStateWithoutNodes(t *testing.T) {
	// Rule 3 read literally: every one of zero terminal nodes is satisfied.
	if got := execution.DeriveFlowState(&core.Flow{}, nil); got != completed {
		t.Errorf("empty flow = %s, want completed", got)
	}
}

func TestDeriveContractState(t *testing.T) {
	s := func(states ...execution.State) []execution.State { return states }
	cases := []struct {
		name       string
		flows, sub []execution.State
		want       execution.State
	}{
		{"rule 3 read literally: a contract with no work is completed", nil, nil, completed},
		{"rule 5: all pending", s(pending, pending), s(pending), pending},
		{"rule 4: one in progress", s(inProgress, pending), nil, inProgress},
		{"rule 4: some completed, some pending", s(completed, pending), nil, inProgress},
		{"rule 4: sub-contract still running", s(completed), s(inProgress), inProgress},
		{"rule 3: all completed", s(completed, completed), s(completed), completed},
		{"rule 3: skipped counts as done", s(completed, skipped), s(skipped), completed},
		{"rule 3: only sub-contracts", nil, s(completed, completed), completed},
		{"rule 2: a flow cancelled", s(completed, cancelled), s(completed), cancelled},
		{"rule 2: a sub-contract cancelled", s(inProgress), s(cancelled), cancelled},
		{"rule 1: a flow failed", s(failed, completed), nil, failed},
		{"rule 1: a sub-contract failed", s(completed), s(failed), failed},
		{"rule 1 beats rule 2: failed beats cancelled", s(cancelled), s(failed), failed},
		{"rule 1 beats rule 2, other side", s(failed), s(cancelled), failed},
		{"rule 1 beats rule 4", s(inProgress, failed, pending), nil, failed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := execution.DeriveContractState(c.flows, c.sub); got != c.want {
				t.Errorf("DeriveContractState(%v, %v) = %s, want %s", c.flows, c.sub, got, c.want)
			}
		})
	}
}

// TestContractStateIgnoresAssessments documents a design decision of §3.5:
// DeriveContractState takes no assessment results at all, so a contract
// whose work is done is completed even when every assessment failed ("work
// finished" is not "goals met"). The assessments live beside the state in
// ContractExecution.AssessmentExecutions.
func TestContractStateIgnoresAssessments(t *testing.T) {
	ce := execution.ContractExecution{
		FlowExecutions: []uuid.UUID{uuid.New()},
		AssessmentExecutions: []execution.AssessmentResult{
			{RequiredOutcomeID: uuid.New(), AssessmentFlowExecutionID: uuid.New(), Result: map[string]any{"met": false}},
		},
	}
	ce.State = execution.DeriveContractState([]execution.State{completed}, nil)
	if ce.State != completed {
		t.Errorf("contract with completed work and a failed assessment = %s, want completed", ce.State)
	}
}

func TestLatestAttempts(t *testing.T) {
	d := newDiamond()
	a1, a3, a2 := block(d.a, 1, failed), block(d.a, 3, completed), block(d.a, 2, failed)
	e1 := block(d.e, 1, inProgress)
	got := execution.LatestAttempts(bl(a1, e1, a3, a2))
	if len(got) != 2 || got[0].ID != a3.ID || got[1].ID != e1.ID {
		t.Fatalf("LatestAttempts = %s, want attempt 3 of A then E, in first-seen slot order", describeBlocks(d, got))
	}
	if got := execution.LatestAttempts(nil); len(got) != 0 {
		t.Errorf("LatestAttempts(nil) = %d blocks", len(got))
	}
}

func bl(b ...execution.BlockExecution) []execution.BlockExecution { return b }

func describeBlocks(d diamond, blocks []execution.BlockExecution) string {
	names := map[uuid.UUID]string{d.a: "A", d.b: "B", d.c: "C", d.d: "D", d.e: "E"}
	out := ""
	for _, b := range blocks {
		name := names[b.NodeReferenceID]
		if name == "" {
			name = "?"
		}
		out += name + "#" + string(rune('0'+b.Attempt())) + "=" + string(b.State) + " "
	}
	return out
}
