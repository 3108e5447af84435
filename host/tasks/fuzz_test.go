package tasks

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseDue: any text either parses to a time or gives an error; never
// a panic, never a nil time without an error.
func FuzzParseDue(f *testing.F) {
	for _, s := range []string{"48h", "3d", "90m", "2030-01-02T15:04:05Z", "2030-01-02T15:04:05+02:00", "0s", "-1h", "d", "9999999999d", ""} {
		f.Add(s)
	}
	created := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		due, err := ParseDue(s, created)
		if err == nil && due == nil {
			t.Fatalf("ParseDue(%q): no time and no error", s)
		}
	})
}

// FuzzCompleteOutputs: any JSON object of outputs, or text per port, is
// either accepted or refused with problems; never a panic.
func FuzzCompleteOutputs(f *testing.F) {
	f.Add(`{"verdict": "approved"}`, "approved")
	f.Add(`{"verdict": null, "score": {"value": -1}}`, `{"value": 3}`)
	f.Add(`{"x": [1, 2, {"y": "z"}]}`, "")
	f.Add(`[]`, "true")
	f.Fuzz(func(t *testing.T, outputsJSON, text string) {
		var outputs map[string]any
		if json.Unmarshal([]byte(outputsJSON), &outputs) != nil {
			return
		}
		var s schemas
		for _, p := range reviewPorts {
			if _, ok := outputs[p.Name]; !ok {
				outputs[p.Name] = Coerce(p, text)
				break
			}
		}
		problems := s.check(reviewPorts, outputs)
		for _, p := range problems {
			if p == "" {
				t.Fatal("empty problem")
			}
		}
	})
}
