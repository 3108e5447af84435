package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// largeFlow passes a 64 MiB string from one shell block to the next: the
// first writes it as an output, the second gets it by file (too big for
// the environment) and writes its length to result.
func largeFlow(result string) map[string]string {
	return map[string]string{"large.yaml": `kind: work_block
name: Produce
outputs: [{name: text, description: 64 MiB of q}]
execution_hints: [shell]
metadata:
  shell:
    script: |
      { printf '{"text": "'; head -c 67108864 /dev/zero | tr '\0' q; printf '"}'; } > "$OPENOMA_OUTPUTS"
---
kind: work_block
name: Measure
inputs: [{name: text, description: a long string}]
execution_hints: [shell]
metadata:
  shell:
    script: |
      wc -c < "$OPENOMA_INPUT_TEXT_FILE" | tr -d ' ' > ` + result + `.part && mv ` + result + `.part ` + result + `
---
kind: flow
name: Large
nodes:
  - {alias: produce, block: Produce@1}
  - {alias: measure, block: Measure@1}
edges:
  - {to: produce}
  - {from: produce, to: measure}
`}
}

// TestLargeValueEndToEnd: a 64 MiB value travels plugin → host store →
// plugin → command (issue 9 #9). (It reads the result from a file: the
// control API cannot answer `status` with a 64 MiB output in it yet.)
func TestLargeValueEndToEnd(t *testing.T) {
	result := filepath.Join(t.TempDir(), "bytes")
	// Badger refuses a value bigger than one value-log file, whose
	// default (64 MiB) is just short of a 64 MiB string with its JSON.
	e := newEnv(t, shellPlugins+"store:\n  value_log_file_size_mb: 256\n", largeFlow(result), "shell")
	ctx := context.Background()
	d := e.serve()
	defer d.stop(t)
	if _, code := e.cli(ctx, "run", "Large", "--wait=false"); code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := os.ReadFile(result)
		if err == nil {
			if n := strings.TrimSpace(string(got)); n != "67108864" {
				t.Fatalf("the second block got %s bytes, want 67108864", n)
			}
			return
		}
		if time.Now().After(deadline) {
			logs := d.output()
			t.Fatalf("the second block never got the value; daemon log (end, without dumps):\n%s", withoutDumps(logs[max(0, len(logs)-8000):]))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// withoutDumps drops the hex dump lines hclog prints for byte values.
func withoutDumps(logs string) string {
	var kept []string
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "| 0") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}
