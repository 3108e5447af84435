package condition

import (
	"context"
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/openoma/openoma/core"
)

// Vars is the context an expression is evaluated in; see the package
// documentation for what each map holds. Nil maps are treated as empty.
type Vars struct {
	Inputs  map[string]any
	Outputs map[string]any
	Source  map[string]any
	Flow    map[string]any
}

// Program is a compiled condition. It is immutable and safe for concurrent
// use.
type Program struct {
	expr string
	prg  cel.Program
}

// Expression returns the CEL source the program was compiled from.
func (p *Program) Expression() string { return p.expr }

// Eval evaluates the condition. It stops with an error wrapping ErrEvaluate
// when the expression fails (e.g. reads a missing key), exceeds the cost
// limit, or ctx is cancelled (the error then also wraps ctx's error); a
// result that is not a boolean wraps ErrNotBool.
func (p *Program) Eval(ctx context.Context, vars Vars) (bool, error) {
	activation := map[string]any{
		VarInputs:  orEmpty(vars.Inputs),
		VarOutputs: orEmpty(vars.Outputs),
		VarSource:  orEmpty(vars.Source),
		VarFlow:    orEmpty(vars.Flow),
	}
	out, _, err := p.prg.ContextEval(ctx, activation)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, fmt.Errorf("%w: %q: %w", ErrEvaluate, p.expr, ctxErr)
		}
		return false, fmt.Errorf("%w: %q: %w", ErrEvaluate, p.expr, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("%w: %q produced %s, want bool", ErrNotBool, p.expr, out.Type().TypeName())
	}
	return bool(b), nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// SourceVars builds the "source" variable for an edge whose source node is
// n, pointing at block b: the block's name and version, the node's alias,
// and the block's metadata overlaid by the node's.
func SourceVars(b *core.WorkBlock, n core.NodeReference) map[string]any {
	meta := make(map[string]any, len(b.Metadata)+len(n.Metadata))
	for k, v := range b.Metadata {
		meta[k] = v
	}
	for k, v := range n.Metadata {
		meta[k] = v
	}
	return map[string]any{
		"name":     b.Name,
		"version":  b.Version,
		"alias":    n.Alias,
		"metadata": meta,
	}
}

// FlowVars builds the "flow" variable for flow f.
func FlowVars(f *core.Flow) map[string]any {
	return map[string]any{
		"name":     f.Name,
		"version":  f.Version,
		"metadata": orEmpty(f.Metadata),
	}
}
