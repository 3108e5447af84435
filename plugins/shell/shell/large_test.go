package shell_test

import (
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
)

// largeValueScript echoes its input "text" back as output "text" from the
// file the plugin passes it in, and reports where the input was.
const largeValueScript = `
if [ -n "${OPENOMA_INPUT_TEXT+set}" ]; then where=env; else where=file; fi
stdin=$(wc -c)
{ printf '{"where": "%s", "stdin_bytes": %d, "text": "' "$where" "$stdin"; cat "$OPENOMA_INPUT_TEXT_FILE"; printf '"}'; } > "$OPENOMA_OUTPUTS"
`

// TestLargeInputPassedByFile: a 100 KiB string input — over Linux's limit
// for one environment string — reaches the command by file and on stdin,
// and comes back whole as an output.
func TestLargeInputPassedByFile(t *testing.T) {
	h, _ := newHarness(t, shellOptions())
	ctx := testContext(t)
	block := shellBlock(map[string]any{"script": largeValueScript},
		[]core.PortDescriptor{port("text", true, nil)},
		[]core.PortDescriptor{port("text", true, nil), port("where", true, nil), port("stdin_bytes", true, nil)})
	text := strings.Repeat("z", 100<<10)
	b, err := h.Run(ctx, block, map[string]any{"text": text})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted {
		t.Fatalf("state %s: %s", b.State, b.FailureReason())
	}
	out := b.Outputs()
	if got, _ := out["text"].(string); got != text {
		t.Errorf("text came back with %d bytes, want %d", len(got), len(text))
	}
	if out["where"] != "file" {
		t.Errorf("the input was in the %v, want only its file (over %d bytes)", out["where"], shell.MaxEnvValue)
	}
	if n, _ := out["stdin_bytes"].(float64); int(n) < len(text) {
		t.Errorf("stdin held %v bytes, want the inputs' JSON (> %d)", out["stdin_bytes"], len(text))
	}
}
