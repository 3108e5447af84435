package lifecycle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

// Ports checks values against a block's port descriptors and their JSON
// schemas. Compiled schemas are cached by their text, so a block that runs
// often compiles its schemas once. The zero value is ready; it is safe for
// concurrent use.
type Ports struct {
	cache sync.Map // schema JSON → *jsonschema.Schema
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
	schema, err := p.compile(port.Schema)
	if err != nil {
		return fmt.Sprintf("the port's schema is not a valid JSON schema: %v", err)
	}
	value, err := normalise(v)
	if err != nil {
		return fmt.Sprintf("not a JSON value: %v", err)
	}
	if err := schema.Validate(value); err != nil {
		return fmt.Sprintf("%s does not match the port's schema: %s", abbreviate(v), schemaMessage(err))
	}
	return ""
}

func (p *Ports) compile(schema map[string]any) (*jsonschema.Schema, error) {
	text, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	if s, ok := p.cache.Load(string(text)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	const url = "https://openoma.invalid/port-schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	p.cache.Store(string(text), s)
	return s, nil
}

// normalise turns any Go value into the JSON data model the validator
// expects (numbers as json.Number, objects as map[string]any).
func normalise(v any) (any, error) {
	text, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(text))
}

// schemaMessage flattens the validator's error tree to its leaf messages.
func schemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	printer := message.NewPrinter(language.English)
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			where := "/" + strings.Join(e.InstanceLocation, "/")
			msg := e.ErrorKind.LocalizedString(printer)
			if where != "/" {
				msg = "at " + where + ": " + msg
			}
			leaves = append(leaves, msg)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
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
