package shell_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
)

// conformanceScript echoes its input, fails on "fail" and sleeps on "slow".
const conformanceScript = `
case "$OPENOMA_INPUT_VALUE" in
  fail) echo "asked to fail" >&2; exit 3 ;;
  slow) sleep 30 ;;
esac
printf '{"echo": "%s"}\n' "$OPENOMA_INPUT_VALUE"
`

func conformanceBlock() core.WorkBlock {
	return core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Echo Value",
		Inputs:         []core.PortDescriptor{{Name: "value", Required: true, Schema: map[string]any{"type": "string"}}},
		Outputs:        []core.PortDescriptor{{Name: "echo", Required: true, Schema: map[string]any{"type": "string"}}},
		ExecutionHints: []string{"shell"},
		Metadata:       core.Metadata{"shell": map[string]any{"script": conformanceScript, "kill_grace": "1s"}},
	}
}

func TestConformance(t *testing.T) {
	faults := t.TempDir()
	plugintest.Run(t, func(t testing.TB) sdk.Adapter {
		return shell.New(shell.Options{Faults: fault.NewInjector(faults, nil)})
	}, plugintest.Config{
		Block:   conformanceBlock(),
		Succeed: map[string]any{"value": "hello"},
		Fail:    map[string]any{"value": "fail"},
		Slow:    map[string]any{"value": "slow"},
	})
}
