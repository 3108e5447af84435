package llmstub_test

import (
	"context"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
)

// BenchmarkStubBlock measures a whole llm-stub block through the plugin
// boundary (in-process gRPC shims, memory store), zero latency, with and
// without streamed progress events.
func BenchmarkStubBlock(b *testing.B) {
	for _, tokens := range []int{0, 3} {
		b.Run(map[int]string{0: "tokens=0", 3: "tokens=3"}[tokens], func(b *testing.B) {
			stub := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(b, triageFixtures), Tokens: &tokens})
			h := plugintest.New(b, llmstub.New(llmstub.Options{Model: stub}), plugintest.Options{})
			block := triage(1)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r, err := h.Run(ctx, block, map[string]any{"ticket_id": "PROJ-142"})
				if err != nil || r.State != execution.StateCompleted {
					b.Fatalf("%v %s %s", err, r.State, r.FailureReason())
				}
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	stub := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(b, triageFixtures), Tokens: new(int)})
	req := llmstub.Request{Block: triage(1), Inputs: map[string]any{"ticket_id": "PROJ-142"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stub.Generate(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJudge(b *testing.B) {
	stub := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(b, triageFixtures)})
	q := llmstub.Question{Description: "ticket is fast-track", Context: sdk.ConditionContext{
		FlowInputs: map[string]any{"ticket_id": "PROJ-142"}, SourceOutputs: map[string]any{"approved": true, "fast_track": true, "task": "x"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stub.Judge(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
