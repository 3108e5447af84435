package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/openoma/openoma/sdk/portschema"
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

// schemas checks values against port schemas, compiling each once.
type schemas struct{ v portschema.Validator }

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
		if err := s.v.Validate(p.Schema, v); err != nil {
			if errors.Is(err, portschema.ErrInvalidSchema) {
				problems = append(problems, fmt.Sprintf("output %q: %v", p.Name, err))
			} else {
				problems = append(problems, fmt.Sprintf("output %q = %s does not match its schema: %v", p.Name, abbreviate(v), err))
			}
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
