package execution_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// benchFlow is a flow of n nodes in ten parallel chains, with one completed
// block execution per node, and — when retried — a failed first attempt
// before each one.
func benchFlow(n int, retried bool) (*core.Flow, []execution.BlockExecution) {
	f := &core.Flow{ID: uuid.New(), Version: 1}
	var blocks []execution.BlockExecution
	for i := range n {
		id := uuid.New()
		f.Nodes = append(f.Nodes, core.NodeReference{ID: id, TargetID: uuid.New(), TargetVersion: 1})
		if i < 10 {
			f.Edges = append(f.Edges, core.Edge{TargetID: id})
		} else {
			f.Edges = append(f.Edges, core.Edge{SourceID: f.Nodes[i-10].ID, TargetID: id})
		}
		if retried {
			blocks = append(blocks, block(id, 1, execution.StateFailed))
			blocks = append(blocks, block(id, 2, execution.StateCompleted))
		} else {
			blocks = append(blocks, block(id, 1, execution.StateCompleted))
		}
	}
	return f, blocks
}

// BenchmarkDeriveFlowState derives a finished flow execution's state: the
// worst case, since every terminal node must be checked. The sizes show
// the cost grows linearly.
func BenchmarkDeriveFlowState(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, retried := range []bool{false, true} {
			f, blocks := benchFlow(n, retried)
			name := fmt.Sprintf("blocks=%d", len(blocks))
			if retried {
				name = fmt.Sprintf("blocks=%d/retried", len(blocks))
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if s := execution.DeriveFlowState(f, blocks); s != execution.StateCompleted {
						b.Fatalf("state %s", s)
					}
				}
			})
		}
	}
}

// BenchmarkDeriveBlockState replays one block's typical log.
func BenchmarkDeriveBlockState(b *testing.B) {
	log := blockLog(uuid.New(), uuid.New(), 1, execution.EventExecutorAssigned, execution.EventStarted,
		execution.EventProgress, execution.EventProgress, execution.EventOutcomeProduced, execution.EventCompleted)
	b.ReportAllocs()
	for b.Loop() {
		_ = execution.DeriveBlockState(log)
	}
}

// BenchmarkValidateLog checks a 1,000-event log.
func BenchmarkValidateLog(b *testing.B) {
	types := make([]execution.EventType, 999)
	for i := range types {
		types[i] = execution.EventProgress
	}
	log := blockLog(uuid.New(), uuid.New(), 1, types...)
	b.ReportAllocs()
	for b.Loop() {
		if err := execution.ValidateLog(log); err != nil {
			b.Fatal(err)
		}
	}
}
