package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
)

// The tree names each iteration of a loop, counts a for_each iteration's
// items in one line (listing those that did not complete), and says where a
// claimed block is shared from.
func TestWriteBlocksShowsIterationsItemsAndClaims(t *testing.T) {
	idx := func(i int) *int { return &i }
	old := uuid.MustParse("11111111-2222-3333-4444-555555555555")
	blocks := []engine.BlockReport{
		{Alias: "split", State: execution.StateCompleted, Iteration: 1, Attempt: 1, SharedFrom: old},
		{Alias: "review", State: execution.StateCompleted, Iteration: 1, Attempt: 1},
		{Alias: "review", State: execution.StateCompleted, Iteration: 2, Attempt: 1},
		{Alias: "work", State: execution.StateCompleted, Iteration: 1, Index: idx(0), Attempt: 1},
		{Alias: "work", State: execution.StateFailed, Iteration: 1, Index: idx(1), Attempt: 1, Reason: "flaky"},
		{Alias: "work", State: execution.StateFailed, Iteration: 1, Index: idx(1), Attempt: 2, Reason: "exit status 3"},
		{Alias: "work", State: execution.StateCompleted, Iteration: 1, Index: idx(2), Attempt: 1},
	}
	var buf bytes.Buffer
	writeBlocks(&buf, blocks, "")
	got := buf.String()
	for _, want := range []string{
		"- split                completed   attempt 1  shared from " + old.String(),
		"- review #1            completed   attempt 1",
		"- review #2            completed   attempt 1",
		"- work                 failed      3 items: 2 completed, 1 failed, 1 retries",
		"      item 1: failed, attempt 2 (exit status 3)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("tree lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "\n") != 5 {
		t.Errorf("want 5 lines (one per run, items folded):\n%s", got)
	}
}
