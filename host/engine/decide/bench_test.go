package decide

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// BenchmarkFlowDecision measures one decision on a 10,000-node flow view:
// a chain with its first half completed (one block running), and a fan-out
// of 10,000 branches with every other one completed and the rest running.
// Goal (issue 10): under 5 ms.
func BenchmarkFlowDecision(b *testing.B) {
	const n = 10_000
	b.Run("chain", func(b *testing.B) {
		f := newDef(b, "chain")
		prev := uuid.Nil
		for i := range n {
			cur := f.node(fmt.Sprintf("n%d", i), []string{"?v"}, []string{"v"})
			f.edge(prev, cur, nil)
			prev = cur
		}
		p := f.plan()
		v := NewView(p, tid("bench"), nil)
		fill(v, p, func(i int) execution.State {
			switch {
			case i < n/2:
				return execution.StateCompleted
			case i == n/2:
				return execution.StateInProgress
			}
			return ""
		})
		benchDecide(b, p, v)
	})
	b.Run("fan-out", func(b *testing.B) {
		f := newDef(b, "fan")
		root := f.node("root", nil, []string{"v"})
		f.edge(uuid.Nil, root, nil)
		for i := range n - 1 {
			f.edge(root, f.node(fmt.Sprintf("n%d", i), []string{"?v"}, []string{"v"}), nil)
		}
		p := f.plan()
		v := NewView(p, tid("bench"), nil)
		fill(v, p, func(i int) execution.State {
			if i == 0 || i%2 == 1 {
				return execution.StateCompleted
			}
			return execution.StateInProgress
		})
		benchDecide(b, p, v)
	})
}

// fill gives node i a block execution in state(i) ("" for none).
func fill(v *View, p *Plan, state func(int) execution.State) {
	v.Started = true
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, node := range p.Flow.Nodes {
		s := state(i)
		if s == "" {
			continue
		}
		b := &Block{
			ID: BlockExecutionID(v.ID, node.ID, 1, -1, 1), Node: i, Iteration: 1, Index: -1, Attempt: 1,
			Order: uint64(i + 1), State: s, CreatedAt: t0, Touched: true,
		}
		if s == execution.StateCompleted {
			b.Outputs, b.EndedAt = map[string]any{"v": i}, t0
		}
		v.Add(b)
	}
}

func benchDecide(b *testing.B, p *Plan, v *View) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	actions := Flow(ctx, p, v, now)
	b.ReportMetric(float64(len(actions)), "actions")
	b.ResetTimer()
	for b.Loop() {
		Flow(ctx, p, v, now)
	}
}
