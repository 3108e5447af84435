package portschema_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk/portschema"
)

// TestCheckPortsKinds: every problem of a block's inputs and outputs is
// reported, each with its kind, in one *PortError.
func TestCheckPortsKinds(t *testing.T) {
	block := core.WorkBlock{Name: "B", Version: 1,
		Inputs:  []core.PortDescriptor{{Name: "n", Required: true, Schema: map[string]any{"type": "integer"}}, {Name: "opt"}},
		Outputs: []core.PortDescriptor{{Name: "ok", Required: true, Schema: map[string]any{"type": "boolean"}}},
	}
	var v portschema.Validator
	cases := []struct {
		name      string
		check     func() error
		direction string
		kinds     []string
	}{
		{"valid inputs", func() error { return v.CheckInputs(block, map[string]any{"n": 3}) }, "", nil},
		{"missing", func() error { return v.CheckInputs(block, map[string]any{"opt": 1}) }, "input", []string{portschema.Missing}},
		{"null required", func() error { return v.CheckInputs(block, map[string]any{"n": nil}) }, "input", []string{portschema.Missing}},
		{"every problem at once", func() error { return v.CheckInputs(block, map[string]any{"n": "x", "zz": 1}) }, "input",
			[]string{portschema.Undeclared, portschema.Mismatch}},
		{"missing output is not its business", func() error { return v.CheckOutputs(block, map[string]any{}) }, "", nil},
		{"bad output", func() error { return v.CheckOutputs(block, map[string]any{"ok": "yes", "extra": 1}) }, "output",
			[]string{portschema.Undeclared, portschema.Mismatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.check()
			if c.kinds == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var pe *portschema.PortError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PortError", err)
			}
			var kinds []string
			for _, p := range pe.Problems {
				kinds = append(kinds, p.Kind)
			}
			if pe.Direction != c.direction || !slices.Equal(kinds, c.kinds) {
				t.Errorf("direction %q kinds %v, want %q %v (%v)", pe.Direction, kinds, c.direction, c.kinds, err)
			}
			for _, k := range c.kinds {
				if !pe.Has(k) {
					t.Errorf("Has(%q) = false", k)
				}
			}
		})
	}
}
