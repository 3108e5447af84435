package tasks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// OutputError lists every problem with a completion's outputs; it matches
// ErrInvalidOutputs.
type OutputError struct {
	Task     string
	Problems []string
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("task %s: completion refused, nothing recorded: %s", e.Task, strings.Join(e.Problems, "; "))
}

// Unwrap makes the error match ErrInvalidOutputs.
func (e *OutputError) Unwrap() error { return ErrInvalidOutputs }

// schemas compiles port schemas once per distinct schema text.
type schemas struct{ cache sync.Map }

func (s *schemas) compile(schema map[string]any) (*jsonschema.Schema, error) {
	text, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	if c, ok := s.cache.Load(string(text)); ok {
		return c.(*jsonschema.Schema), nil
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
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	s.cache.Store(string(text), compiled)
	return compiled, nil
}

// check returns every problem of outputs against ports: undeclared ports,
// missing required ones (absent or null), and schema violations with the
// JSON pointer of the offending value.
func (s *schemas) check(ports []Port, outputs map[string]any) []string {
	var problems []string
	var undeclared []string
	for name := range outputs {
		if !slices.ContainsFunc(ports, func(p Port) bool { return p.Name == name }) {
			undeclared = append(undeclared, fmt.Sprintf("%q", name))
		}
	}
	if len(undeclared) > 0 {
		sort.Strings(undeclared)
		problems = append(problems, fmt.Sprintf("output %s not declared by the task (declared: %s)",
			strings.Join(undeclared, ", "), portNames(ports)))
	}
	for _, p := range ports {
		v, ok := outputs[p.Name]
		if !ok || v == nil {
			if p.Required {
				problems = append(problems, fmt.Sprintf("required output %q is missing", p.Name))
			}
			continue
		}
		if len(p.Schema) == 0 {
			continue
		}
		schema, err := s.compile(p.Schema)
		if err != nil {
			problems = append(problems, fmt.Sprintf("output %q: its port's schema is not a valid JSON schema: %v", p.Name, err))
			continue
		}
		value, err := normalise(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("output %q: not a JSON value: %v", p.Name, err))
			continue
		}
		if err := schema.Validate(value); err != nil {
			problems = append(problems, fmt.Sprintf("output %q = %s does not match its schema: %s", p.Name, abbreviate(v), schemaMessage(err)))
		}
	}
	return problems
}

func portNames(ports []Port) string {
	if len(ports) == 0 {
		return "none"
	}
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func normalise(v any) (any, error) {
	text, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(text))
}

// schemaMessage flattens the validator's error tree into its leaves, each
// with the JSON pointer (RFC 6901) of the value it is about.
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
			leaves = append(leaves, fmt.Sprintf("at %q: %s", pointer(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

// pointer renders a location as a JSON pointer; "" is the value itself.
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

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

// Coerce turns text a person typed for port p into a value: the text
// itself when the port's schema wants a string, else the JSON it spells
// (true, 3, {"a": 1}), else the text. So `--output verdict=approved` and
// `--output answer=true` both mean what they say.
func Coerce(p Port, text string) any {
	if wantsString(p.Schema) {
		return text
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err == nil {
		return v
	}
	return text
}

func wantsString(schema map[string]any) bool {
	switch t := schema["type"].(type) {
	case string:
		return t == "string"
	case []any:
		return len(t) == 1 && t[0] == "string"
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		for _, e := range enum {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}
