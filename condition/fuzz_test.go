package condition_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openoma/openoma/condition"
)

// FuzzCompile feeds arbitrary text to the compiler and evaluates whatever
// compiles: neither may panic or hang, and every failure must wrap one of
// the package's sentinel errors.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`outputs.verdict == "approved"`,
		`has(outputs.x) && outputs.x > 3`,
		`inputs.xs.all(a, inputs.xs.exists(b, a == b))`,
		`"a".lowerAscii().split(",").size() == 1`,
		`((((((((((true))))))))))`,
		`outputs.`,
		`1 +`,
	} {
		f.Add(s)
	}
	c, err := condition.NewCompiler(condition.WithCacheSize(16))
	if err != nil {
		f.Fatal(err)
	}
	vars := condition.Vars{
		Inputs:  map[string]any{"xs": []any{1.0, 2.0, 3.0}, "s": "text"},
		Outputs: map[string]any{"x": 4.0, "verdict": "approved"},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := c.Compile(map[string]any{"cel": expr})
		if err != nil {
			if !errors.Is(err, condition.ErrUnknownFormat) && !errors.Is(err, condition.ErrCompile) && !errors.Is(err, condition.ErrNotBool) {
				t.Fatalf("compile error %v wraps no sentinel", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := p.Eval(ctx, vars); err != nil && !errors.Is(err, condition.ErrEvaluate) && !errors.Is(err, condition.ErrNotBool) {
			t.Fatalf("eval error %v wraps no sentinel", err)
		}
	})
}
