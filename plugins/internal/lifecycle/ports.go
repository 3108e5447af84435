package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/portschema"
)

// Ports checks values against a block's port descriptors and their JSON
// schemas. Compiled schemas are cached by their text, so a block that runs
// often compiles its schemas once. The zero value is ready; it is safe for
// concurrent use.
type Ports struct {
	schemas portschema.Validator
}

// CheckInputs returns an error (code "bad_input", for sdk.Emitter.FailErr)
// when inputs lack a required port (absent or null), name a port the block
// does not declare, or hold a value its port's schema rejects.
func (p *Ports) CheckInputs(block core.WorkBlock, inputs map[string]any) error {
	var problems []string
	for _, port := range block.Inputs {
		v, ok := inputs[port.Name]
		if port.Required && (!ok || v == nil) {
			problems = append(problems, fmt.Sprintf("required input %q is missing", port.Name))
		}
	}
	problems = append(problems, undeclared(block.Inputs, inputs, "input")...)
	for _, port := range block.Inputs {
		if v, ok := inputs[port.Name]; ok && v != nil {
			if msg := p.violates(port, v); msg != "" {
				problems = append(problems, fmt.Sprintf("input %q: %s", port.Name, msg))
			}
		}
	}
	if len(problems) > 0 {
		return sdk.Failf("bad_input", "%s: %s", block.Describe(), strings.Join(problems, "; "))
	}
	return nil
}

// CheckOutputs returns an error when outputs name a port the block does
// not declare (code "undeclared_output") or hold a value its schema rejects
// (code "bad_output"). Missing required outputs are the Emitter's to
// report (it records "missing_output"). source says where the outputs came
// from, for the reason ("stdout", "fixtures file x.yaml").
func (p *Ports) CheckOutputs(block core.WorkBlock, outputs map[string]any, source string) error {
	if u := undeclared(block.Outputs, outputs, "output"); len(u) > 0 {
		return sdk.Failf("undeclared_output", "%s: %s %s", block.Describe(), source, strings.Join(u, "; "))
	}
	var problems []string
	for _, port := range block.Outputs {
		if v, ok := outputs[port.Name]; ok {
			if msg := p.violates(port, v); msg != "" {
				problems = append(problems, fmt.Sprintf("output %q: %s", port.Name, msg))
			}
		}
	}
	if len(problems) > 0 {
		return sdk.Failf("bad_output", "%s: %s: %s", block.Describe(), source, strings.Join(problems, "; "))
	}
	return nil
}

func undeclared(ports []core.PortDescriptor, values map[string]any, what string) []string {
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
	return []string{fmt.Sprintf("names %s %s not declared by the block (declared: %s)", what, strings.Join(names, ", "), list)}
}

// violates returns why v does not satisfy port's schema, or "".
func (p *Ports) violates(port core.PortDescriptor, v any) string {
	if len(port.Schema) == 0 {
		return ""
	}
	if err := p.schemas.Validate(port.Schema, v); err != nil {
		if errors.Is(err, portschema.ErrInvalidSchema) {
			return err.Error()
		}
		return fmt.Sprintf("%s does not match the port's schema: %v", abbreviate(v), err)
	}
	return ""
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
