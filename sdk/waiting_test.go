package sdk_test

import (
	"context"
	"strings"
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

// BenchmarkIsWaiting: what the host's subscription pays per block progress
// event to learn whether it frees a slot — a streamed output line (the
// common case, rejected before decoding) and a waiting event.
func BenchmarkIsWaiting(b *testing.B) {
	for _, tc := range []struct {
		name    string
		payload any
	}{
		{"output line", map[string]any{"type": "output", "stream": "stdout", "line": strings.Repeat("x", 120)}},
		{"waiting", sdk.WaitingPayload{Type: sdk.ProgressWaiting, For: "person", Reason: "task Code Review"}},
	} {
		raw, err := execution.MarshalPayload(tc.payload)
		if err != nil {
			b.Fatal(err)
		}
		ev := execution.Event{EventType: execution.EventProgress, Payload: raw}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				sdk.IsWaiting(&ev)
			}
		})
	}
}
