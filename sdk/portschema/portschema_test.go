package portschema

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	score := map[string]any{"type": "object", "properties": map[string]any{"value": map[string]any{"type": "number", "minimum": 0}}}
	tests := []struct {
		name    string
		schema  map[string]any
		value   any
		wantErr string
		invalid bool
	}{
		{"ok", score, map[string]any{"value": 3}, "", false},
		{"nested violation names its pointer", score, map[string]any{"value": -3}, `at "/value": minimum: got -3, want 0`, false},
		{"wrong type at the root", score, "high", `at "": got string, want object`, false},
		{"enum", map[string]any{"enum": []any{"approved", "rejected"}}, "maybe", `value must be one of`, false},
		{"pointer escapes", map[string]any{"properties": map[string]any{"a/b": map[string]any{"type": "string"}}}, map[string]any{"a/b": 1}, `at "/a~1b"`, false},
		{"broken schema", map[string]any{"type": 12}, 1, "not a valid JSON schema", true},
		{"not JSON", map[string]any{}, func() {}, "not a JSON value", false},
	}
	var v Validator
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Validate(tt.schema, tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrInvalidSchema) != tt.invalid {
				t.Fatalf("errors.Is(ErrInvalidSchema) = %v, want %v", !tt.invalid, tt.invalid)
			}
		})
	}
}
