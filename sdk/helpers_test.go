package sdk_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

func echoBlock() core.WorkBlock {
	return core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "echo",
		Inputs: []core.PortDescriptor{
			{Name: "message", Required: true},
			{Name: "fail"}, {Name: "sleep"},
		},
		Outputs:        []core.PortDescriptor{{Name: "message", Required: true}, {Name: "note"}},
		ExecutionHints: []string{"echo"},
	}
}

// newExecution appends a block execution's created event to s, as the host
// does, and returns the request that starts it.
func newExecution(t testing.TB, s store.EventStore, block core.WorkBlock, inputs map[string]any) sdk.ExecuteRequest {
	t.Helper()
	id, flow := uuid.New(), uuid.New()
	node := core.NodeReference{ID: uuid.New(), TargetID: block.ID, TargetVersion: block.Version}
	ev, err := execution.NewEvent(id, execution.EventCreated, nil, execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: flow, NodeReferenceID: node.ID,
		WorkBlockID: block.ID, WorkBlockVersion: block.Version, Inputs: inputs, Attempt: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Append(context.Background(), []execution.Event{ev}, store.ExpectSequence(0))
	if err != nil {
		t.Fatal(err)
	}
	return sdk.ExecuteRequest{
		ExecutionID: id, FlowExecutionID: flow, Block: block, Node: node,
		Inputs: inputs, Attempt: 1, Sequence: stored[0].Sequence, Store: s,
	}
}

// waitEnd follows an execution until its terminal event.
func waitEnd(t testing.TB, ctx context.Context, s store.EventStore, id uuid.UUID) execution.BlockExecution {
	t.Helper()
	sub, err := s.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			events, _ := s.Events(context.Background(), id, 0)
			t.Fatalf("execution %s did not end: %v (events so far: %d)", id, err, len(events))
		}
		if ev.EventType.IsTerminal() {
			break
		}
	}
	events, err := s.Events(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := execution.ProjectBlock(events)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
