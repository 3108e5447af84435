package llmstub

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
)

func TestTemplateOutputsFollowSchemas(t *testing.T) {
	cases := []struct {
		name   string
		schema map[string]any
		check  func(v any) bool
	}{
		{"boolean", map[string]any{"type": "boolean"}, func(v any) bool { return v == true }},
		{"enum picks the first", map[string]any{"type": "string", "enum": []any{"approved", "rejected"}}, func(v any) bool { return v == "approved" }},
		{"const", map[string]any{"const": 42}, func(v any) bool { return v == 42 }},
		{"integer in default range", map[string]any{"type": "integer"}, func(v any) bool {
			f, ok := v.(float64)
			return ok && f == float64(int(f)) && f >= 0 && f <= 99
		}},
		{"integer within bounds", map[string]any{"type": "integer", "minimum": 1, "maximum": 5}, func(v any) bool {
			f, ok := v.(float64)
			return ok && f == float64(int(f)) && f >= 1 && f <= 5
		}},
		{"number within bounds", map[string]any{"type": "number", "minimum": 4.0, "maximum": 5.0}, func(v any) bool {
			f, ok := v.(float64)
			return ok && f >= 4 && f <= 5
		}},
		{"nullable string", map[string]any{"type": []any{"null", "string"}}, func(v any) bool { _, ok := v.(string); return ok }},
		{"null", map[string]any{"type": "null"}, func(v any) bool { return v == nil }},
		{"string names block, port and inputs", map[string]any{"type": "string"}, func(v any) bool {
			s, _ := v.(string)
			return strings.Contains(s, "Ticket Triage") && strings.Contains(s, "out") && strings.Contains(s, `ticket_id="PROJ-142"`)
		}},
		{"uri", map[string]any{"type": "string", "format": "uri"}, func(v any) bool {
			s, _ := v.(string)
			return strings.HasPrefix(s, "https://llm-stub.invalid/ticket-triage/out/")
		}},
		{"object with properties", map[string]any{"type": "object", "properties": map[string]any{
			"ok": map[string]any{"type": "boolean"}, "n": map[string]any{"type": "integer"}}}, func(v any) bool {
			m, ok := v.(map[string]any)
			_, isNum := m["n"].(float64)
			return ok && m["ok"] == true && isNum && len(m) == 2
		}},
		{"object without properties", map[string]any{"type": "object"}, func(v any) bool { _, ok := v.(map[string]any)["text"].(string); return ok }},
		{"array of items", map[string]any{"type": "array", "items": map[string]any{"type": "boolean"}}, func(v any) bool {
			return reflect.DeepEqual(v, []any{true})
		}},
		{"no schema is text", nil, func(v any) bool { _, ok := v.(string); return ok }},
	}
	inputs := map[string]any{"ticket_id": "PROJ-142"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			block := core.WorkBlock{Name: "Ticket Triage", Outputs: []core.PortDescriptor{{Name: "out", Schema: c.schema}}}
			v := TemplateOutputs(block, inputs)["out"]
			if !c.check(v) {
				t.Errorf("value %#v does not fit %v", v, c.schema)
			}
			var p portsChecker
			if err := p.CheckOutputs(block, map[string]any{"out": v}, "template"); err != nil {
				t.Errorf("the template's value fails the schema: %v", err)
			}
		})
	}
}

func TestTemplateOutputsAreDeterministic(t *testing.T) {
	block := core.WorkBlock{Name: "Implementation", Outputs: []core.PortDescriptor{
		{Name: "pull_request_url"}, {Name: "change_summary"}, {Name: "lines", Schema: map[string]any{"type": "integer"}},
	}}
	a := TemplateOutputs(block, map[string]any{"task": "add search", "n": 1.0})
	b := TemplateOutputs(block, map[string]any{"n": 1.0, "task": "add search"})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same inputs, different answers:\n%v\n%v", a, b)
	}
	c := TemplateOutputs(block, map[string]any{"task": "fix login", "n": 1.0})
	if reflect.DeepEqual(a["pull_request_url"], c["pull_request_url"]) || reflect.DeepEqual(a["change_summary"], c["change_summary"]) {
		t.Errorf("different inputs, same answer: %v", c)
	}
	if !strings.HasPrefix(a["pull_request_url"].(string), "https://llm-stub.invalid/implementation/pull-request-url/") {
		t.Errorf("a port named *_url gets %q, want a URL", a["pull_request_url"])
	}
}
