package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/openoma/openoma/sdk"
)

// Where a command's outputs came from, for failure reasons.
const (
	sourceOutputsFile = "the $OPENOMA_OUTPUTS file"
	sourceStdout      = "stdout"
)

// parseOutputs reads a command's outputs: the $OPENOMA_OUTPUTS file when
// the command wrote to it, else stdout. Either holds one JSON object whose
// keys are output ports; on stdout, log lines may precede the object when
// it is alone on the last line. A block that declares no outputs may
// print anything on stdout (it is then not read). Errors carry the
// "bad_output" code.
func parseOutputs(stdout, file []byte, declaresOutputs bool) (map[string]any, string, error) {
	if len(bytes.TrimSpace(file)) > 0 {
		out, err := jsonObject(file)
		if err != nil {
			return nil, sourceOutputsFile, sdk.Failf("bad_output", "%s does not hold a JSON object of outputs: %v (it starts %s)", sourceOutputsFile, err, excerpt(file))
		}
		return out, sourceOutputsFile, nil
	}
	trimmed := bytes.TrimSpace(stdout)
	if len(trimmed) == 0 {
		return map[string]any{}, sourceStdout, nil
	}
	out, err := jsonObject(trimmed)
	if err == nil {
		return out, sourceStdout, nil
	}
	if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 {
		if last, lerr := jsonObject(trimmed[i+1:]); lerr == nil {
			return last, sourceStdout, nil
		}
	}
	if !declaresOutputs {
		return map[string]any{}, sourceStdout, nil
	}
	return nil, sourceStdout, sdk.Failf("bad_output",
		"stdout is not a JSON object of outputs (print one, e.g. {\"port\": value}, as the last line, or write it to $OPENOMA_OUTPUTS): %v; stdout starts %s",
		err, excerpt(trimmed))
}

func jsonObject(data []byte) (map[string]any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("got a JSON %s, want an object", jsonKind(v))
	}
	return obj, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}

// excerpt quotes the start of data for a message.
func excerpt(data []byte) string {
	const n = 120
	if len(data) <= n {
		return fmt.Sprintf("%q", data)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(data[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", data[:cut])
}
