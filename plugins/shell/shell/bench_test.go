package shell_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk/plugintest"
)

// BenchmarkShellBlock measures a whole shell block through the plugin
// boundary (in-process gRPC shims, memory store): ExecuteBlock, the
// command's process, outputs parsed and checked, the lifecycle recorded,
// until the terminal event is stored.
func BenchmarkShellBlock(b *testing.B) {
	for _, c := range []struct {
		name     string
		settings any
	}{
		{"argv=true", map[string]any{"argv": []any{"true"}}},
		{"script=echo-json", `echo '{"ok": true}'`},
	} {
		b.Run(c.name, func(b *testing.B) {
			var outputs []core.PortDescriptor
			if _, ok := c.settings.(string); ok {
				outputs = okOutput
			}
			h := plugintest.New(b, shell.New(shell.Options{}), plugintest.Options{})
			block := shellBlock(c.settings, nil, outputs)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r, err := h.Run(ctx, block, map[string]any{})
				if err != nil || r.State != execution.StateCompleted {
					b.Fatalf("%v %s %s", err, r.State, r.FailureReason())
				}
			}
		})
	}
}

// BenchmarkExecBaseline is the floor BenchmarkShellBlock stands on: the
// same process started and waited for with os/exec alone, in the same run.
func BenchmarkExecBaseline(b *testing.B) {
	for _, argv := range [][]string{{"true"}, {"sh", "-c", `echo '{"ok": true}'`}} {
		b.Run(argv[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
