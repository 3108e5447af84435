package sdk_test

import (
	"context"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store/memory"
)

// TestEmitterWaiting: Waiting records the start and a waiting progress
// event the host recognises; another progress event is not waiting, and
// a block that ended waits no more.
func TestEmitterWaiting(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	req := newExecution(t, s, echoBlock(), nil)
	em := req.Emitter(sdk.System("test"))
	if err := em.Progress(ctx, map[string]any{"type": "output", "line": `"waiting"`}); err != nil {
		t.Fatal(err)
	}
	events, _ := s.Events(ctx, req.ExecutionID, 0)
	if sdk.Waits(events) {
		t.Fatalf("a progress event that only mentions waiting counts as waiting: %s", types(events))
	}
	if err := em.Waiting(ctx, "person", "a review"); err != nil {
		t.Fatal(err)
	}
	events, _ = s.Events(ctx, req.ExecutionID, 0)
	last := events[len(events)-1]
	var p sdk.WaitingPayload
	if err := last.DecodePayload(&p); err != nil || !sdk.IsWaiting(&last) || p.For != "person" || p.Reason != "a review" {
		t.Fatalf("last event %s %s (%v), want a waiting progress event for a person", last.EventType, last.Payload, err)
	}
	if !sdk.Waits(events) {
		t.Errorf("log %s does not wait", types(events))
	}
	if err := em.Finish(ctx, map[string]any{"message": "done"}); err != nil {
		t.Fatal(err)
	}
	events, _ = s.Events(ctx, req.ExecutionID, 0)
	if sdk.Waits(events) || execution.DeriveBlockState(events) != execution.StateCompleted {
		t.Errorf("an ended block still waits: %s", types(events))
	}
}
