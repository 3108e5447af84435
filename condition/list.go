package condition

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"google.golang.org/protobuf/types/known/structpb"
)

// ErrNotList: an expression meant to give a list (a for_each node's items)
// gives something else.
var ErrNotList = errors.New("expression is not a list")

// ListProgram is a compiled expression that yields a list, such as a
// for_each node's items. It is immutable and safe for concurrent use.
type ListProgram struct {
	expr string
	prg  cel.Program
}

// Expression returns the CEL source the program was compiled from.
func (p *ListProgram) Expression() string { return p.expr }

// CompileList parses and type-checks expr over the same variables as a
// condition. A static type that is known and not a list is rejected
// (ErrNotList); other failures wrap ErrCompile.
func (c *Compiler) CompileList(expr string) (*ListProgram, error) {
	ast, issues := c.env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, describeIssues(issues))
	}
	if out := ast.OutputType(); out.Kind() != cel.ListType(cel.DynType).Kind() && !out.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%w: expression has type %s, want a list", ErrNotList, out)
	}
	prg, err := c.env.Program(ast, cel.CostLimit(c.cfg.costLimit), cel.InterruptCheckFrequency(interruptCheckEvery))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	return &ListProgram{expr: expr, prg: prg}, nil
}

// Eval evaluates the expression and returns the list with JSON values
// (numbers as float64, objects as map[string]any). Failures wrap
// ErrEvaluate; a result that is not a list wraps ErrNotList.
func (p *ListProgram) Eval(ctx context.Context, vars Vars) ([]any, error) {
	out, _, err := p.prg.ContextEval(ctx, map[string]any{
		VarInputs:  orEmpty(vars.Inputs),
		VarOutputs: orEmpty(vars.Outputs),
		VarSource:  orEmpty(vars.Source),
		VarFlow:    orEmpty(vars.Flow),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrEvaluate, p.expr, err)
	}
	native, err := out.ConvertToNative(listValueType)
	if err != nil {
		return nil, fmt.Errorf("%w: %q produced %s, want a list", ErrNotList, p.expr, out.Type().TypeName())
	}
	return native.(*structpb.ListValue).AsSlice(), nil
}

var listValueType = reflect.TypeOf(&structpb.ListValue{})
