package condition_test

import (
	"context"
	"testing"

	"github.com/openoma/openoma/condition"
)

func BenchmarkEval(b *testing.B) {
	c := newCompiler(b)
	vars := condition.Vars{
		Inputs:  map[string]any{"priority": "high"},
		Outputs: map[string]any{"verdict": "approved", "score": 4.6},
	}
	for _, bc := range []struct{ name, expr string }{
		{"equality", `outputs.verdict == "approved"`},
		{"conjunction", `inputs.priority == "high" && has(outputs.score) && outputs.score >= 4.5`},
	} {
		p, err := c.CompileExpression(bc.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if ok, err := p.Eval(ctx, vars); err != nil || !ok {
					b.Fatalf("Eval = %v, %v", ok, err)
				}
			}
		})
	}
}

func BenchmarkCompileCached(b *testing.B) {
	c := newCompiler(b)
	pred := map[string]any{"cel": `outputs.verdict == "approved"`}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compile(pred); err != nil {
			b.Fatal(err)
		}
	}
}
