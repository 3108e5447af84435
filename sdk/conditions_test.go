package sdk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

func TestEvaluatePredicate(t *testing.T) {
	cc := sdk.ConditionContext{
		FlowInputs:    map[string]any{"region": "eu", "budget": 1200.0},
		SourceOutputs: map[string]any{"verdict": "approved", "score": 0.91},
		Source:        map[string]any{"name": "Review", "version": 2, "alias": "review", "metadata": map[string]any{"team": "ops"}},
		Flow:          map[string]any{"name": "Launch", "version": 1, "metadata": map[string]any{}},
	}
	cases := []struct {
		name    string
		cond    core.Condition
		want    bool
		wantErr error
	}{
		{"outputs", core.Condition{Predicate: map[string]any{"cel": `outputs.verdict == "approved"`}}, true, nil},
		{"inputs and numbers", core.Condition{Predicate: map[string]any{"cel": `inputs.budget > 1000 && outputs.score >= 0.9`}}, true, nil},
		{"source metadata", core.Condition{Predicate: map[string]any{"cel": `source.metadata.team == "ops" && source.version == 2`}}, true, nil},
		{"flow", core.Condition{Predicate: map[string]any{"cel": `flow.name == "Other"`}}, false, nil},
		{"guarded optional", core.Condition{Predicate: map[string]any{"cel": `has(outputs.missing) && outputs.missing`}}, false, nil},
		{"description only", core.Condition{Description: "a person decides"}, false, sdk.ErrNoPredicate},
		{"unknown format", core.Condition{Predicate: map[string]any{"jsonlogic": "x"}}, false, condition.ErrUnknownFormat},
		{"does not compile", core.Condition{Predicate: map[string]any{"cel": `outputs.verdict ==`}}, false, condition.ErrCompile},
		{"missing key", core.Condition{Predicate: map[string]any{"cel": `outputs.missing == 1`}}, false, condition.ErrEvaluate},
		{"not bool", core.Condition{Predicate: map[string]any{"cel": `outputs.verdict`}}, false, condition.ErrNotBool},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := sdk.EvaluatePredicate(context.Background(), c.cond, cc)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
