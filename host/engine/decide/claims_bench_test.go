package decide

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// BenchmarkPlanRerun measures choosing the claims of a rerun of a
// 10,000-node chain that failed at its last node (9,999 claims).
func BenchmarkPlanRerun(b *testing.B) {
	const n = 10_000
	f := newDef(b, "rerun-chain")
	prev := uuid.Nil
	for i := range n {
		cur := f.node(fmt.Sprintf("n%d", i), []string{"?v"}, []string{"v"})
		f.edge(prev, cur, nil)
		prev = cur
	}
	p := f.plan()
	v := NewView(p, tid("failed"), nil)
	fill(v, p, func(i int) execution.State {
		if i == n-1 {
			return execution.StateFailed
		}
		return execution.StateCompleted
	})
	r, err := PlanRerun(p, v, tid("rerun"), nil)
	if err != nil || len(r.Claims) != n-1 {
		b.Fatalf("claims %d, %v", len(r.Claims), err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, _ = PlanRerun(p, v, tid("rerun"), nil)
	}
}
