package main

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
)

// The head line of a flow names what became of its nodes, by each node's
// latest run: completed is not the same as ended.
func TestNodeCounts(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	r := &engine.Report{Progress: &engine.Progress{Done: 3, Total: 5}, Blocks: []engine.BlockReport{
		{NodeID: a, State: execution.StateFailed},    // attempt 1
		{NodeID: a, State: execution.StateCompleted}, // attempt 2: the one that counts
		{NodeID: b, State: execution.StateSkipped},
		{NodeID: c, State: execution.StateFailed},
	}}
	if got, want := nodeCounts(r), "1 completed, 1 skipped, 1 failed, 2 not reached of 5 nodes"; got != want {
		t.Errorf("nodeCounts = %q, want %q", got, want)
	}
	if got := nodeCounts(&engine.Report{Progress: &engine.Progress{Total: 2}}); got != "2 not reached of 2 nodes" {
		t.Errorf("nothing run yet: %q", got)
	}
}
