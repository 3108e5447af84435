package llmstub_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
)

const conformanceFixtures = `
tokens: 2
blocks:
  Conformance Agent:
    - when: {contains: please fail}
      fail: {code: refused, reason: the model refused}
    - when: {contains: slow}
      latency: 30s
    - outputs: {answer: fixed answer}
`

func mustFixtures(t testing.TB, text string) *llmstub.Fixtures {
	t.Helper()
	f, err := llmstub.ParseFixtures("fixtures.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConformance(t *testing.T) {
	faults := t.TempDir()
	fixtures := mustFixtures(t, conformanceFixtures)
	plugintest.Run(t, func(t testing.TB) sdk.Adapter {
		return llmstub.New(llmstub.Options{Model: llmstub.NewStub(llmstub.Config{Fixtures: fixtures}), Faults: fault.NewInjector(faults, nil)})
	}, plugintest.Config{
		Block: core.WorkBlock{
			ID: uuid.New(), Version: 1, Name: "Conformance Agent", ExecutionHints: []string{"agent"},
			Inputs: []core.PortDescriptor{{Name: "value", Required: true, Schema: map[string]any{"type": "string"}}},
			Outputs: []core.PortDescriptor{
				{Name: "answer", Required: true, Schema: map[string]any{"type": "string"}},
				{Name: "approved", Required: true, Schema: map[string]any{"type": "boolean"}},
			},
		},
		Succeed: map[string]any{"value": "hello"},
		Fail:    map[string]any{"value": "please fail"},
		Slow:    map[string]any{"value": "slow"},
	})
}
