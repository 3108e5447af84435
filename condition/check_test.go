package condition_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

func typed(name, jsonType string) core.PortDescriptor {
	p := core.PortDescriptor{Name: name}
	if jsonType != "" {
		p.Schema = map[string]any{"type": jsonType}
	}
	return p
}

func TestCheck(t *testing.T) {
	invoice := condition.Declarations{
		Inputs: []core.PortDescriptor{typed("threshold", "number"), typed("tickets", "array"), typed("region", "")},
		Outputs: []core.PortDescriptor{typed("amount", "number"), typed("approved", "boolean"), typed("verdict", "string"),
			typed("notes", ""), typed("meta", "object"), typed("pr-link", "string")},
	}
	entry := condition.Declarations{Inputs: invoice.Inputs} // no source outputs
	open := condition.Declarations{InputsOpen: true, OutputsOpen: true}
	tests := []struct {
		name    string
		decl    condition.Declarations
		want    condition.Result
		expr    string
		wantIs  error  // nil: the expression must check
		wantMsg string // fragment of the error
	}{
		{name: "typed comparison", decl: invoice, expr: "outputs.amount > 100000"},
		{name: "compare with flow input", decl: invoice, expr: "outputs.amount > inputs.threshold"},
		{name: "numeric equality across types", decl: invoice, expr: "outputs.amount == 3 || 3 != outputs.amount"},
		{name: "numeric in across types", decl: invoice, expr: "outputs.amount in [1, 2]"},
		{name: "bool port", decl: invoice, expr: "outputs.approved"},
		{name: "string port", decl: invoice, expr: `outputs.verdict == "changes_requested"`},
		{name: "has guards a port", decl: invoice, expr: `has(outputs.notes) && outputs.notes == "x"`},
		{name: "untyped port is dyn", decl: invoice, expr: "outputs.notes"},
		{name: "object port", decl: invoice, expr: `outputs.meta.owner == "ops"`},
		{name: "index of a declared port", decl: invoice, expr: `outputs["pr-link"] != ""`},
		{name: "source and flow variables", decl: invoice, expr: `source.alias == "review" && flow.version > 1`},
		{name: "open declarations", decl: open, expr: "outputs.anything && inputs.whatever"},
		{name: "list for for_each", decl: invoice, want: condition.WantList, expr: "inputs.tickets"},
		{name: "built list", decl: entry, want: condition.WantList, expr: "[inputs.region, inputs.region]"},
		{name: "dyn list", decl: invoice, want: condition.WantList, expr: "outputs.notes"},

		{name: "misspelt output", decl: invoice, expr: "outputs.amont > 100000", wantIs: condition.ErrUnknownPort,
			wantMsg: "outputs.amont: no such port (has: amount, approved, verdict, notes, meta, pr-link)"},
		{name: "misspelt output in has", decl: invoice, expr: "has(outputs.aproved)", wantIs: condition.ErrUnknownPort,
			wantMsg: "outputs.aproved: no such port"},
		{name: "misspelt output by index", decl: invoice, expr: `outputs["pr_link"] == ""`, wantIs: condition.ErrUnknownPort,
			wantMsg: "outputs.pr_link: no such port"},
		{name: "unknown input", decl: invoice, expr: "inputs.treshold > 1.0", wantIs: condition.ErrUnknownPort,
			wantMsg: "inputs.treshold: no such port (has: threshold, tickets, region)"},
		{name: "outputs on an entry edge", decl: entry, expr: "outputs.amount > 1.0", wantIs: condition.ErrUnknownPort,
			wantMsg: "outputs.amount: no such port (there are no source outputs here)"},
		{name: "no such overload", decl: invoice, expr: "outputs.amount > 'lots'", wantIs: condition.ErrCompile,
			wantMsg: "no matching overload for '_>_' applied to '(double, string)'"},
		{name: "string equality with number", decl: invoice, expr: `outputs.verdict == 3`, wantIs: condition.ErrCompile,
			wantMsg: "no matching overload for '_==_'"},
		{name: "not a bool", decl: invoice, expr: "outputs.amount", wantIs: condition.ErrNotBool,
			wantMsg: "expression has type double, want bool"},
		{name: "string not a list", decl: invoice, want: condition.WantList, expr: "outputs.verdict", wantIs: condition.ErrNotList,
			wantMsg: "expression has type string, want a list"},
		{name: "syntax error", decl: invoice, expr: "outputs.amount >", wantIs: condition.ErrCompile},
	}
	c := newCompiler(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Check(tt.expr, tt.decl, tt.want)
			if tt.wantIs == nil {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want no error", tt.expr, err)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Check(%q) = %v, want an error wrapping %v", tt.expr, err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Check(%q) = %q, want it to contain %q", tt.expr, err, tt.wantMsg)
			}
		})
	}
}

// TestCheckCaches: a result is kept per declarations and expression, so
// the conditions of a large flow, which repeat, cost little after the
// first (BenchmarkCheck shows the time).
func TestCheckCaches(t *testing.T) {
	c := newCompiler(t)
	i := 0
	fresh := func() condition.Declarations {
		i++
		return condition.Declarations{Outputs: []core.PortDescriptor{typed(fmt.Sprintf("p%d", i), "number")}}
	}
	decl := fresh()
	exprs := 0
	newExpr := testing.AllocsPerRun(10, func() {
		exprs++
		_ = c.Check(fmt.Sprintf("outputs.%s > %d.0", decl.Outputs[0].Name, exprs), decl, condition.WantBool)
	})
	same := "outputs." + decl.Outputs[0].Name + " > 1.0"
	repeated := testing.AllocsPerRun(10, func() { _ = c.Check(same, decl, condition.WantBool) })
	if repeated*10 > newExpr {
		t.Errorf("a repeated check allocates %v, a new one %v: results are not reused", repeated, newExpr)
	}
	if err := c.Check("outputs."+decl.Outputs[0].Name+` > "x"`, decl, condition.WantBool); !errors.Is(err, condition.ErrCompile) {
		t.Fatalf("a cached environment must still type-check: %v", err)
	}
}

func BenchmarkCheck(b *testing.B) {
	c := newCompiler(b)
	decl := condition.Declarations{
		Inputs:  []core.PortDescriptor{typed("threshold", "number")},
		Outputs: []core.PortDescriptor{typed("amount", "number"), typed("approved", "boolean")},
	}
	b.Run("cached environment", func(b *testing.B) {
		for b.Loop() {
			if err := c.Check("outputs.approved && outputs.amount > inputs.threshold", decl, condition.WantBool); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new declarations", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			d := condition.Declarations{Outputs: []core.PortDescriptor{typed(fmt.Sprintf("p%d", i), "number")}}
			if err := c.Check("true", d, condition.WantBool); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzCheck type-checks arbitrary text against declared ports: no panic,
// every failure wraps a sentinel, and with open declarations Check agrees
// with Compile, which uses the same environment without declared ports.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`outputs.amount > 100000`, `outputs.amont > 1`, `outputs.amount > 'lots'`, `outputs.amount`,
		`has(outputs.verdict) && outputs.verdict == "approved"`, `outputs["pr-link"] != ""`,
		`inputs.tickets.map(t, t.id)`, `outputs.amount == 3`, `inputs.`,
	} {
		f.Add(s)
	}
	c := newCompiler(f, condition.WithCacheSize(64))
	decl := condition.Declarations{
		Inputs:  []core.PortDescriptor{typed("tickets", "array"), typed("threshold", "integer")},
		Outputs: []core.PortDescriptor{typed("amount", "number"), typed("verdict", "string"), typed("pr-link", "")},
	}
	open := condition.Declarations{InputsOpen: true, OutputsOpen: true}
	sentinels := []error{condition.ErrCompile, condition.ErrNotBool, condition.ErrNotList, condition.ErrUnknownPort}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, want := range []condition.Result{condition.WantBool, condition.WantList} {
			if err := c.Check(expr, decl, want); err != nil && !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("Check error %v wraps no sentinel", err)
			}
		}
		_, compileErr := c.CompileExpression(expr)
		if checkErr := c.Check(expr, open, condition.WantBool); (checkErr == nil) != (compileErr == nil) {
			t.Fatalf("open Check says %v, Compile says %v", checkErr, compileErr)
		}
	})
}
