package llmstub

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/openoma/openoma/core"
)

// FuzzParseFixtures: any file parses or gives an ErrBadFixtures error.
func FuzzParseFixtures(f *testing.F) {
	f.Add([]byte("blocks:\n  A:\n    outputs: {x: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fx, err := ParseFixtures("f.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrBadFixtures) {
				t.Fatalf("error %v does not wrap ErrBadFixtures", err)
			}
			return
		}
		stub := NewStub(Config{Fixtures: fx})
		_, _ = stub.Judge(t.Context(), Question{Description: "x"})
	})
}

// FuzzTemplateOutputs: any schema gives a value, the same one twice.
func FuzzTemplateOutputs(f *testing.F) {
	f.Add([]byte(`{"type": "integer", "minimum": 3, "maximum": 1}`), []byte(`{"a": 1}`))
	f.Fuzz(func(t *testing.T, schemaJSON, inputsJSON []byte) {
		var schema, inputs map[string]any
		if json.Unmarshal(schemaJSON, &schema) != nil || json.Unmarshal(inputsJSON, &inputs) != nil {
			t.Skip()
		}
		block := core.WorkBlock{Name: "B", Outputs: []core.PortDescriptor{{Name: "p", Schema: schema}}}
		a, b := TemplateOutputs(block, inputs), TemplateOutputs(block, inputs)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("not deterministic: %v vs %v", a, b)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
	})
}
