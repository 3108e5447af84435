package condition_test

import (
	"context"
	"fmt"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// Compile a predicate once and evaluate it for each decision.
func ExampleCompiler_Compile() {
	c, err := condition.NewCompiler()
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := c.Compile(map[string]any{"cel": `has(outputs.verdict) && outputs.verdict == "approved"`})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, outputs := range []map[string]any{{"verdict": "approved"}, {"verdict": "changes_requested"}, {}} {
		ok, err := prog.Eval(context.Background(), condition.Vars{Outputs: outputs})
		fmt.Println(outputs, ok, err)
	}
	// Output:
	// map[verdict:approved] true <nil>
	// map[verdict:changes_requested] false <nil>
	// map[] false <nil>
}

// Check type-checks an expression against the ports it may read, as
// validation does for every condition and for_each expression.
func ExampleCompiler_Check() {
	c, err := condition.NewCompiler()
	if err != nil {
		fmt.Println(err)
		return
	}
	decl := condition.Declarations{Outputs: []core.PortDescriptor{
		{Name: "amount", Schema: map[string]any{"type": "number"}},
		{Name: "approved", Schema: map[string]any{"type": "boolean"}},
	}}
	for _, expr := range []string{
		"outputs.approved && outputs.amount > 100000",
		"outputs.amont > 100000",
		"outputs.amount > 'lots'",
		"outputs.amount",
	} {
		fmt.Printf("%s: %v\n", expr, c.Check(expr, decl, condition.WantBool))
	}
	// Output:
	// outputs.approved && outputs.amount > 100000: <nil>
	// outputs.amont > 100000: unknown port: outputs.amont: no such port (has: amount, approved)
	// outputs.amount > 'lots': condition does not compile: 1:16: found no matching overload for '_>_' applied to '(double, string)'
	// outputs.amount: condition is not boolean: expression has type double, want bool
}
