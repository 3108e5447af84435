package condition_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/openoma/openoma/condition"
)

func TestCompileList(t *testing.T) {
	c, err := condition.NewCompiler()
	if err != nil {
		t.Fatal(err)
	}
	vars := condition.Vars{
		Inputs:  map[string]any{"tickets": []any{"T-1", "T-2"}},
		Outputs: map[string]any{"n": 3},
	}
	cases := []struct {
		expr       string
		want       []any
		compileErr error
		evalErr    error
	}{
		{expr: "inputs.tickets", want: []any{"T-1", "T-2"}},
		{expr: "[1, 2].map(x, x * outputs.n)", want: []any{3.0, 6.0}},
		{expr: `[{"id": "a"}]`, want: []any{map[string]any{"id": "a"}}},
		{expr: "[]", want: []any{}},
		{expr: "inputs.tickets.size()", compileErr: condition.ErrNotList},
		{expr: "inputs.", compileErr: condition.ErrCompile},
		{expr: "inputs.missing", evalErr: condition.ErrEvaluate},
		{expr: "outputs.n", evalErr: condition.ErrNotList},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := c.CompileList(tc.expr)
			if tc.compileErr != nil {
				if !errors.Is(err, tc.compileErr) {
					t.Fatalf("CompileList = %v, want %v", err, tc.compileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Eval(context.Background(), vars)
			if tc.evalErr != nil {
				if !errors.Is(err, tc.evalErr) {
					t.Fatalf("Eval = %v, %v; want error %v", got, err, tc.evalErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Eval = %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}
