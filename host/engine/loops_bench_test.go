package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// countAdapter completes every block at once with n = its input n + 1, in
// one append, from a goroutine as a plugin would.
type countAdapter struct{ noopAdapter }

func (a *countAdapter) ExecuteBlock(_ context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	go func() {
		n, _ := req.Inputs["n"].(float64)
		x := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "count"}
		out, _ := execution.MarshalPayload(map[string]any{"n": n + 1})
		events := []execution.Event{
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("s")), ExecutionID: req.ExecutionID, EventType: execution.EventStarted, Executor: x},
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("o")), ExecutionID: req.ExecutionID, EventType: execution.EventOutcomeProduced, Executor: x, Payload: out},
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("c")), ExecutionID: req.ExecutionID, EventType: execution.EventCompleted, Executor: x},
		}
		_, _ = req.Store.Append(context.Background(), events, store.AppendOptions{})
	}()
	return req.ExecutionID, nil
}

// BenchmarkLoopVsChain compares a loop of 100 iterations (one node going
// round on itself while outputs.n < 100) with a chain of 100 nodes whose
// edges carry the same kind of CEL condition: the time per iteration
// against the time per block (goal: within 1.2×).
func BenchmarkLoopVsChain(b *testing.B) {
	const n = 100
	counter := block("Count", []string{"?n"}, []string{"n"})
	flows := map[string]func(f *flowBuilder){
		"chain": func(f *flowBuilder) {
			prev := uuid.Nil
			for i := range n {
				cur := f.node(fmt.Sprint("n", i), counter)
				if prev == uuid.Nil {
					f.edge(prev, cur, nil)
				} else {
					f.edge(prev, cur, cel("outputs.n < 1000"))
				}
				prev = cur
			}
		},
		"loop": func(f *flowBuilder) {
			c := f.node("count", counter, map[string]any{"max_iterations": n})
			end := f.node("end", block("End", nil, nil))
			f.edge(uuid.Nil, c, nil)
			f.edge(c, c, cel(fmt.Sprintf("outputs.n < %d", n)))
			f.edge(c, end, cel(fmt.Sprintf("outputs.n >= %d", n)))
		},
	}
	for _, name := range []string{"chain", "loop"} {
		b.Run(name, func(b *testing.B) {
			cat := core.NewCatalog()
			f := newFlow(b, cat, name)
			flows[name](f)
			f.add()
			e, stop := benchEngine(b, cat, memory.New(), &countAdapter{}, DefaultMaxConcurrency)
			defer stop()
			ctx := context.Background()
			cpu0 := cpuTime()
			for b.Loop() {
				id, err := e.StartFlow(ctx, name, nil)
				if err != nil {
					b.Fatal(err)
				}
				if s, err := e.Wait(ctx, id); err != nil || s != execution.StateCompleted {
					r, _ := e.Status(ctx, id)
					b.Fatalf("%s %v: %s", s, err, r.Reason)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/run")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*n), "cpu-µs/run")
		})
	}
}

// BenchmarkForEachVsFanOut runs 1,000 blocks through the llm-stub adapter
// (in process): as one for_each node over a list of 1,000 items, and as a
// plain fan-out of 1,000 entry nodes (goal: for_each at least as many
// blocks/s).
func BenchmarkForEachVsFanOut(b *testing.B) {
	const n = 1000
	items := make([]any, n)
	for i := range items {
		items[i] = fmt.Sprint("T-", i)
	}
	work := block("Work", []string{"ticket"}, []string{"result"})
	flows := map[string]func(f *flowBuilder){
		"fan-out": func(f *flowBuilder) {
			for i := range n {
				f.edge(uuid.Nil, f.node(fmt.Sprint("n", i), work), nil)
			}
		},
		"for_each": func(f *flowBuilder) {
			f.edge(uuid.Nil, f.node("each", work, map[string]any{"for_each": map[string]any{"items": "inputs.tickets", "as": "ticket"}}), nil)
		},
	}
	for _, name := range []string{"fan-out", "for_each"} {
		b.Run(name, func(b *testing.B) {
			cat := core.NewCatalog()
			f := newFlow(b, cat, name)
			flows[name](f)
			f.add()
			stub := llmstub.New(llmstub.Options{})
			e, stop := benchEngine(b, cat, memory.New(), stub, DefaultMaxConcurrency)
			defer stop()
			ctx := context.Background()
			cpu0 := cpuTime()
			for b.Loop() {
				id, err := e.StartFlow(ctx, name, map[string]any{"ticket": "T", "tickets": items})
				if err != nil {
					b.Fatal(err)
				}
				if s, err := e.Wait(ctx, id); err != nil || s != execution.StateCompleted {
					r, _ := e.Status(ctx, id)
					b.Fatalf("%s %v: %s", s, err, r.Reason)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "blocks/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*n), "cpu-µs/block")
		})
	}
}
