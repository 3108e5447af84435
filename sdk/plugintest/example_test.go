package plugintest_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
)

// newExampleEcho is the adapter under test: inputs come back as outputs.
func newExampleEcho() sdk.Adapter {
	return &sdk.BlockAdapter{
		Info:       sdk.Info{Name: "echo", Version: "1.0.0", Hints: []string{"echo"}},
		Idempotent: true,
		Work:       func(_ context.Context, job sdk.Job) (map[string]any, error) { return job.Inputs, nil },
	}
}

// exampleBlock is a block the adapter serves.
var exampleBlock = core.WorkBlock{
	ID: uuid.New(), Version: 1, Name: "Echo", ExecutionHints: []string{"echo"},
	Inputs:  []core.PortDescriptor{{Name: "message", Required: true}},
	Outputs: []core.PortDescriptor{{Name: "message", Required: true}},
}

// An adapter's tests run the conformance suite from a Test function of
// their own, like this one (TestConformance in examples/plugin-echo):
//
//	func TestConformance(t *testing.T) { conformance(t) }
func ExampleRun() {
	conformance := func(t *testing.T) {
		plugintest.Run(t, func(testing.TB) sdk.Adapter { return newExampleEcho() }, plugintest.Config{
			Block:   exampleBlock,
			Succeed: map[string]any{"message": "hello"},
			Fail:    map[string]any{}, // no message: the required output is missing
		})
	}
	_ = conformance
}

// The suite, run here on the example's adapter so that the example above
// is known to pass it.
func TestExampleConformance(t *testing.T) {
	plugintest.Run(t, func(testing.TB) sdk.Adapter { return newExampleEcho() }, plugintest.Config{
		Block:   exampleBlock,
		Succeed: map[string]any{"message": "hello"},
		Fail:    map[string]any{},
	})
}

// A Harness runs one adapter behind the real gRPC shims for a test of
// your own.
func ExampleHarness() {
	test := func(t *testing.T) {
		h := plugintest.New(t, newExampleEcho(), plugintest.Options{})
		b, err := h.Run(context.Background(), exampleBlock, map[string]any{"message": "hello"})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Outputs()["message"]; got != "hello" {
			t.Errorf("echoed %v", got)
		}
	}
	_ = test
}
