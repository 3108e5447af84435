package execution_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// run is a projected block execution of one iteration/item/attempt of slot.
func run(slot uuid.UUID, iteration, index, attempt int, state execution.State) execution.BlockExecution {
	b := block(slot, attempt, state)
	c := execution.Created{Kind: execution.KindBlock, NodeReferenceID: slot, Attempt: attempt, Iteration: iteration}
	if index >= 0 {
		c.Index = &index
	}
	raw, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	b.Events[0].Payload = raw
	return b
}

// TestDeriveFlowStateOverIterationsAndItems: only a node's latest iteration
// counts, and of it every for_each item's latest attempt.
func TestDeriveFlowStateOverIterationsAndItems(t *testing.T) {
	d := newDiamond()
	done := func(extra ...execution.BlockExecution) []execution.BlockExecution {
		return append(bl(run(d.a, 1, -1, 1, completed), run(d.b, 1, -1, 1, completed), run(d.c, 1, -1, 1, completed)), extra...)
	}
	cases := []struct {
		name   string
		blocks []execution.BlockExecution
		want   execution.State
	}{
		{"a failed iteration that a later one replaced no longer counts",
			done(run(d.d, 1, -1, 1, failed), run(d.d, 2, -1, 1, completed), run(d.e, 1, -1, 1, completed)), completed},
		{"the latest iteration runs: an earlier completed one does not finish the node",
			done(run(d.d, 1, -1, 1, completed), run(d.d, 2, -1, 1, inProgress), run(d.e, 1, -1, 1, completed)), inProgress},
		{"a later iteration with a lower attempt still wins",
			done(run(d.d, 1, -1, 3, completed), run(d.d, 2, -1, 1, failed), run(d.e, 1, -1, 1, completed)), failed},
		{"every item completed",
			done(run(d.d, 1, 0, 1, completed), run(d.d, 1, 1, 1, completed), run(d.e, 1, -1, 1, completed)), completed},
		{"one item still running: the node is not satisfied",
			done(run(d.d, 1, 0, 1, completed), run(d.d, 1, 1, 1, inProgress), run(d.e, 1, -1, 1, completed)), inProgress},
		{"an item's retry replaced its failed attempt",
			done(run(d.d, 1, 0, 1, completed), run(d.d, 1, 1, 1, failed), run(d.d, 1, 1, 2, completed), run(d.e, 1, -1, 1, completed)), completed},
		{"one item failed for good fails the flow",
			done(run(d.d, 1, 0, 1, completed), run(d.d, 1, 1, 1, failed), run(d.e, 1, -1, 1, completed)), failed},
		{"items of an earlier iteration do not count",
			done(run(d.d, 1, 0, 1, failed), run(d.d, 1, 1, 1, failed), run(d.d, 2, 0, 1, completed), run(d.e, 1, -1, 1, completed)), completed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := execution.DeriveFlowState(d.flow, c.blocks); got != c.want {
				t.Errorf("DeriveFlowState = %s, want %s", got, c.want)
			}
		})
	}
}

func TestSlotDefaults(t *testing.T) {
	d := newDiamond()
	plain, looped := block(d.a, 2, completed), run(d.a, 3, 4, 2, completed)
	if got, want := plain.Slot(), (execution.Slot{Iteration: 1, Index: -1, Attempt: 2}); got != want {
		t.Errorf("Slot of a log without iteration and index = %+v, want %+v", got, want)
	}
	if got, want := looped.Slot(), (execution.Slot{Iteration: 3, Index: 4, Attempt: 2}); got != want {
		t.Errorf("Slot = %+v, want %+v", got, want)
	}
}
