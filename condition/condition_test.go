package condition_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

func newCompiler(t testing.TB, opts ...condition.Option) *condition.Compiler {
	t.Helper()
	c, err := condition.NewCompiler(opts...)
	if err != nil {
		t.Fatalf("NewCompiler: %v", err)
	}
	return c
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		pred    map[string]any
		wantIs  error
		wantMsg string
	}{
		{"nil predicate", nil, condition.ErrUnknownFormat,
			`unknown predicate format: keys []; want {"cel": ...}`},
		{"jsonlogic", map[string]any{"==": []any{1, 1}}, condition.ErrUnknownFormat,
			`unknown predicate format: keys ["=="]; want {"cel": ...}`},
		{"extra key", map[string]any{"cel": "true", "lang": "cel"}, condition.ErrUnknownFormat,
			`unknown predicate format: keys ["cel", "lang"]; want {"cel": ...}`},
		{"not a string", map[string]any{"cel": 3.0}, condition.ErrUnknownFormat,
			`unknown predicate format: "cel" must be a string expression, got a number`},
		{"empty expression", map[string]any{"cel": "  "}, condition.ErrUnknownFormat,
			`unknown predicate format: "cel" expression is empty`},
		{"syntax error", map[string]any{"cel": "outputs.x =="}, condition.ErrCompile,
			`condition does not compile: 1:13: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`},
		{"undeclared variable", map[string]any{"cel": "result == 1"}, condition.ErrCompile,
			`condition does not compile: 1:1: undeclared reference to 'result'`},
		{"string result", map[string]any{"cel": `"yes"`}, condition.ErrNotBool,
			`condition is not boolean: expression has type string, want bool`},
		{"map result", map[string]any{"cel": `outputs`}, condition.ErrNotBool,
			`condition is not boolean: expression has type map(string, dyn), want bool`},
		{"arithmetic result", map[string]any{"cel": `1 + 2`}, condition.ErrNotBool,
			`condition is not boolean: expression has type int, want bool`},
	}
	c := newCompiler(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Compile(tt.pred)
			if err == nil {
				t.Fatalf("Compile(%v) = %v, want error", tt.pred, p.Expression())
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error text\n got: %s\nwant: %s", err, tt.wantMsg)
			}
		})
	}
}

func TestCompileTooLong(t *testing.T) {
	c := newCompiler(t, condition.WithMaxExpressionSize(10))
	_, err := c.CompileExpression("outputs.verdict == 'approved'")
	if !errors.Is(err, condition.ErrCompile) {
		t.Fatalf("want ErrCompile for an over-long expression, got %v", err)
	}
}

func TestEval(t *testing.T) {
	vars := condition.Vars{
		Inputs:  map[string]any{"priority": "high", "budget": 1200.0},
		Outputs: map[string]any{"verdict": "approved", "score": 4.6, "count": 3, "approved": true, "tags": []any{"fast-track", "ui"}},
		Source:  map[string]any{"name": "Code Review", "version": 2, "alias": "review", "metadata": map[string]any{"team": "web"}},
		Flow:    map[string]any{"name": "Sprint", "version": 1, "metadata": map[string]any{}},
	}
	tests := []struct {
		expr string
		want bool
	}{
		{`outputs.verdict == "approved"`, true},
		{`outputs.verdict == "rejected"`, false},
		{`outputs.score >= 4.5`, true},
		{`outputs.score >= 4`, true},  // double vs int
		{`outputs.count > 2.5`, true}, // int vs double
		{`outputs.approved`, true},    // dyn result that is bool
		{`"fast-track" in outputs.tags`, true},
		{`has(outputs.missing) && outputs.missing == 1`, false},
		{`inputs.priority == "high" && inputs.budget < 2000`, true},
		{`source.alias == "review" && source.version == 2 && source.metadata.team == "web"`, true},
		{`flow.name.lowerAscii() == "sprint"`, true},
		{`outputs.verdict.startsWith("app")`, true},
	}
	c := newCompiler(t)
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := c.Compile(map[string]any{"cel": tt.expr})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := p.Eval(context.Background(), vars)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		vars    condition.Vars
		wantIs  error
		wantMsg string
	}{
		{"missing key", `outputs.verdict == "approved"`, condition.Vars{}, condition.ErrEvaluate,
			`condition evaluation failed: "outputs.verdict == \"approved\"": no such key: verdict`},
		{"dyn result not bool", `outputs.verdict`, condition.Vars{Outputs: map[string]any{"verdict": "approved"}}, condition.ErrNotBool,
			`condition is not boolean: "outputs.verdict" produced string, want bool`},
		{"division by zero", `1 / outputs.n == 1`, condition.Vars{Outputs: map[string]any{"n": 0}}, condition.ErrEvaluate,
			`condition evaluation failed: "1 / outputs.n == 1": division by zero`},
	}
	c := newCompiler(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.CompileExpression(tt.expr)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			_, err = p.Eval(context.Background(), tt.vars)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("error %v does not wrap %v", err, tt.wantIs)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error text\n got: %s\nwant: %s", err, tt.wantMsg)
			}
		})
	}
}

// explosive iterates over a 1000-element list three levels deep: 10^9 steps.
const explosive = `inputs.xs.all(a, inputs.xs.all(b, inputs.xs.all(c, a + b + c >= 0)))`

func thousand() []any {
	xs := make([]any, 1000)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

func TestEvalCostLimitStopsRunaway(t *testing.T) {
	c := newCompiler(t)
	p, err := c.CompileExpression(explosive)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(context.Background(), condition.Vars{Inputs: map[string]any{"xs": thousand()}})
	if !errors.Is(err, condition.ErrEvaluate) {
		t.Fatalf("want ErrEvaluate from the cost limit, got %v", err)
	}
}

func TestEvalHonoursContext(t *testing.T) {
	c := newCompiler(t, condition.WithCostLimit(math.MaxUint64))
	p, err := c.CompileExpression(explosive)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = p.Eval(ctx, condition.Vars{Inputs: map[string]any{"xs": thousand()}})
	if !errors.Is(err, condition.ErrEvaluate) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want ErrEvaluate wrapping DeadlineExceeded, got %v", err)
	}
}

func TestCompilerCachesPrograms(t *testing.T) {
	c := newCompiler(t)
	a, err := c.CompileExpression("true")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.CompileExpression("true")
	if a != b {
		t.Error("compiling the same expression twice should return the cached program")
	}
	uncached := newCompiler(t, condition.WithCacheSize(0))
	x, _ := uncached.CompileExpression("true")
	y, _ := uncached.CompileExpression("true")
	if x == y {
		t.Error("with cache size 0, programs should not be shared")
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newCompiler(t, condition.WithCacheSize(2))
	for _, e := range []string{"true", "false", "1 == 1", "true"} {
		if _, err := c.CompileExpression(e); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing to assert on the internals beyond "still works"; the bound is
	// exercised under -race by the concurrent test below.
}

func TestConcurrentCompileAndEval(t *testing.T) {
	c := newCompiler(t, condition.WithCacheSize(4))
	exprs := []string{`outputs.n > 1`, `outputs.n > 2`, `outputs.n > 3`, `outputs.n > 4`, `outputs.n > 5`, `outputs.n > 6`}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				e := exprs[(g+i)%len(exprs)]
				p, err := c.CompileExpression(e)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := p.Eval(context.Background(), condition.Vars{Outputs: map[string]any{"n": i}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestVarsHelpers(t *testing.T) {
	b := core.WorkBlock{ID: uuid.New(), Version: 3, Name: "Implementation", Metadata: map[string]any{"team": "core", "tier": 1}}
	n := core.NodeReference{ID: uuid.New(), Alias: "impl-fast", Metadata: map[string]any{"team": "web"}}
	f := core.Flow{Name: "Sprint", Version: 2}
	c := newCompiler(t)
	p, err := c.CompileExpression(`source.name == "Implementation" && source.version == 3 && source.alias == "impl-fast" &&
		source.metadata.team == "web" && source.metadata.tier == 1 && flow.name == "Sprint" && flow.version == 2 && size(flow.metadata) == 0`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := p.Eval(context.Background(), condition.Vars{Source: condition.SourceVars(&b, n), Flow: condition.FlowVars(&f)})
	if err != nil || !ok {
		t.Fatalf("Eval = %v, %v; want true", ok, err)
	}
}
