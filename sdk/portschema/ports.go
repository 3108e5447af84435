package portschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openoma/openoma/core"
)

// Problem kinds: what is wrong with a port's value.
const (
	// Missing: a required port has no value (absent or null).
	Missing = "missing"
	// Undeclared: a value names a port the block does not declare.
	Undeclared = "undeclared"
	// Mismatch: the port's schema rejects the value (or the schema is
	// broken).
	Mismatch = "mismatch"
)

// PortError lists what is wrong with a block's inputs or outputs; its
// message names every problem. Kinds are Missing, Undeclared and Mismatch.
type PortError struct {
	// Block describes the block (`block "Triage" v1`).
	Block string
	// Direction is "input" or "output".
	Direction string
	Problems  []PortProblem
}

// PortProblem is one problem of one port (or, for Undeclared, of every
// undeclared name at once).
type PortProblem struct {
	Kind    string
	Message string
}

func (e *PortError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return e.Block + ": " + strings.Join(msgs, "; ")
}

// Has reports whether some problem is of kind.
func (e *PortError) Has(kind string) bool {
	return slices.ContainsFunc(e.Problems, func(p PortProblem) bool { return p.Kind == kind })
}

// CheckInputs returns a *PortError when inputs lack a required port
// (absent or null), name a port the block does not declare, or hold a
// value its port's schema rejects; nil when they are fine.
func (v *Validator) CheckInputs(block core.WorkBlock, inputs map[string]any) error {
	var problems []PortProblem
	for _, port := range block.Inputs {
		if val, ok := inputs[port.Name]; port.Required && (!ok || val == nil) {
			problems = append(problems, PortProblem{Missing, fmt.Sprintf("required input %q is missing", port.Name)})
		}
	}
	problems = append(problems, undeclared(block.Inputs, inputs, "input")...)
	problems = append(problems, v.mismatches(block.Inputs, inputs, "input")...)
	return portError(block, "input", problems)
}

// CheckOutputs returns a *PortError when outputs name a port the block
// does not declare or hold a value its schema rejects. Missing required
// outputs are not its business: outputs may arrive in several parts
// (the sdk's Emitter checks them at completion).
func (v *Validator) CheckOutputs(block core.WorkBlock, outputs map[string]any) error {
	problems := undeclared(block.Outputs, outputs, "output")
	problems = append(problems, v.mismatches(block.Outputs, outputs, "output")...)
	return portError(block, "output", problems)
}

func portError(block core.WorkBlock, direction string, problems []PortProblem) error {
	if len(problems) == 0 {
		return nil
	}
	return &PortError{Block: block.Describe(), Direction: direction, Problems: problems}
}

func (v *Validator) mismatches(ports []core.PortDescriptor, values map[string]any, what string) []PortProblem {
	var problems []PortProblem
	for _, port := range ports {
		val, ok := values[port.Name]
		if !ok || val == nil || len(port.Schema) == 0 {
			continue
		}
		if err := v.Validate(port.Schema, val); err != nil {
			msg := fmt.Sprintf("%s %q: %s does not match the port's schema: %v", what, port.Name, abbreviate(val), err)
			if errors.Is(err, ErrInvalidSchema) {
				msg = fmt.Sprintf("%s %q: %v", what, port.Name, err)
			}
			problems = append(problems, PortProblem{Mismatch, msg})
		}
	}
	return problems
}

func undeclared(ports []core.PortDescriptor, values map[string]any, what string) []PortProblem {
	var names []string
	for name := range values {
		if !slices.ContainsFunc(ports, func(p core.PortDescriptor) bool { return p.Name == name }) {
			names = append(names, fmt.Sprintf("%q", name))
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	declared := make([]string, len(ports))
	for i, p := range ports {
		declared[i] = p.Name
	}
	list := strings.Join(declared, ", ")
	if list == "" {
		list = "none"
	}
	return []PortProblem{{Undeclared, fmt.Sprintf("names %s %s not declared by the block (declared: %s)", what, strings.Join(names, ", "), list)}}
}

// abbreviate renders v as JSON, cut to a readable length.
func abbreviate(v any) string {
	text, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	const max = 80
	if len(text) > max {
		return string(text[:max]) + "…"
	}
	return string(text)
}
