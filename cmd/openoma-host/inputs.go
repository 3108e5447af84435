package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// parseInputs turns --input flags into run inputs. Each is name=value (the
// value is JSON when it parses as JSON — numbers, true, objects — and a
// string otherwise; name:=value forces a string) or @file.json (a JSON
// object whose keys are merged in). Later flags win.
func parseInputs(flags []string) (map[string]any, error) {
	inputs := map[string]any{}
	for _, f := range flags {
		if strings.HasPrefix(f, "@") {
			data, err := os.ReadFile(f[1:])
			if err != nil {
				return nil, fmt.Errorf("--input %s: %w", f, err)
			}
			var obj map[string]any
			if err := json.Unmarshal(data, &obj); err != nil {
				return nil, fmt.Errorf("--input %s: not a JSON object: %w", f, err)
			}
			for k, v := range obj {
				inputs[k] = v
			}
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input %q: want name=value or @file.json", f)
		}
		if strings.HasSuffix(name, ":") {
			inputs[strings.TrimSuffix(name, ":")] = value
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			v = value
		}
		inputs[name] = v
	}
	return inputs, nil
}
