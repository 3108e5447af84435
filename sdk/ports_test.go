package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

func TestPortsCheck(t *testing.T) {
	block := core.WorkBlock{
		Name: "Triage", Version: 1,
		Inputs: []core.PortDescriptor{
			{Name: "ticket", Required: true, Schema: map[string]any{"type": "string", "pattern": "^[A-Z]+-[0-9]+$"}},
			{Name: "priority", Required: false, Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 5}},
		},
		Outputs: []core.PortDescriptor{
			{Name: "approved", Required: true, Schema: map[string]any{"type": "boolean"}},
			{Name: "verdict", Schema: map[string]any{"type": "string", "enum": []any{"yes", "no"}}},
		},
	}
	var p sdk.Ports
	inputCases := []struct {
		name   string
		inputs map[string]any
		want   []string // "" entries: no error
	}{
		{"valid", map[string]any{"ticket": "PROJ-1", "priority": 3}, nil},
		{"JSON number", map[string]any{"ticket": "PROJ-1", "priority": 3.0}, nil},
		{"missing", map[string]any{"priority": 3}, []string{`required input "ticket" is missing`}},
		{"null", map[string]any{"ticket": nil}, []string{`required input "ticket" is missing`}},
		{"undeclared", map[string]any{"ticket": "PROJ-1", "zz": 1, "aa": 2}, []string{`names input "aa", "zz" not declared by the block (declared: ticket, priority)`}},
		{"pattern", map[string]any{"ticket": "proj 1"}, []string{`input "ticket": "proj 1" does not match`}},
		{"range", map[string]any{"ticket": "PROJ-1", "priority": 9}, []string{`input "priority"`, "maximum"}},
	}
	for _, c := range inputCases {
		t.Run("inputs/"+c.name, func(t *testing.T) {
			err := p.CheckInputs(block, c.inputs)
			checkFailure(t, err, "bad_input", c.want)
		})
	}
	outputCases := []struct {
		name    string
		outputs map[string]any
		code    string
		want    []string
	}{
		{"valid", map[string]any{"approved": true, "verdict": "yes"}, "", nil},
		{"missing is not this check's business", map[string]any{}, "", nil},
		{"undeclared", map[string]any{"approved": true, "extra": 1}, "undeclared_output", []string{"stdout names output \"extra\""}},
		{"wrong type", map[string]any{"approved": "true"}, "bad_output", []string{`output "approved"`, "want boolean"}},
		{"enum", map[string]any{"approved": true, "verdict": "maybe"}, "bad_output", []string{`output "verdict"`}},
	}
	for _, c := range outputCases {
		t.Run("outputs/"+c.name, func(t *testing.T) {
			checkFailure(t, p.CheckOutputs(block, c.outputs, "stdout"), c.code, c.want)
		})
	}
}

func TestPortsBadSchema(t *testing.T) {
	block := core.WorkBlock{Name: "B", Inputs: []core.PortDescriptor{{Name: "x", Schema: map[string]any{"type": "no-such-type"}}}}
	var p sdk.Ports
	checkFailure(t, p.CheckInputs(block, map[string]any{"x": 1}), "bad_input", []string{"not a valid JSON schema"})
}

func checkFailure(t *testing.T, err error, code string, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var be *sdk.BlockError
	if !errors.As(err, &be) || be.Failure.Code != code {
		t.Fatalf("err = %v, want a %s failure", err, code)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not mention %q", err, w)
		}
	}
}

func TestLookupNodeWins(t *testing.T) {
	s, ok := sdk.LookupSetting(core.WorkBlock{Metadata: core.Metadata{"k": 1}}, core.NodeReference{Metadata: core.Metadata{"k": 2}}, "k")
	if !ok || s.Value != 2 || s.From != "node" {
		t.Errorf("got %+v", s)
	}
	s, ok = sdk.LookupSetting(core.WorkBlock{Metadata: core.Metadata{"k": 1}}, core.NodeReference{}, "k")
	if !ok || s.Value != 1 || s.From != "block" {
		t.Errorf("got %+v", s)
	}
	if _, ok := sdk.LookupSetting(core.WorkBlock{}, core.NodeReference{}, "k"); ok {
		t.Error("found a missing key")
	}
}
