// Package testadapter holds the adapter the sdk's own tests and benchmarks
// run, in-process and as a real plugin binary (sdk/internal/testplugin).
package testadapter

import (
	"context"
	"time"

	"github.com/openoma/openoma/sdk"
)

// NewEcho returns an adapter that copies its inputs to the outputs of the
// same name (so the block must declare an output for each input it is
// given). Two inputs steer it, for tests: "fail" (true) fails the block,
// "sleep" (a Go duration) makes it work that long first, honouring
// cancellation. It is an sdk.BlockAdapter, idempotent.
func NewEcho() *sdk.BlockAdapter {
	return &sdk.BlockAdapter{
		Info:       sdk.Info{Name: "echo", Version: "test", Hints: []string{"echo"}},
		Idempotent: true,
		Work:       func(ctx context.Context, job sdk.Job) (map[string]any, error) { return echo(ctx, job.Inputs) },
	}
}

func echo(ctx context.Context, inputs map[string]any) (map[string]any, error) {
	if inputs["fail"] == true {
		return nil, sdk.Failf("requested", "the inputs asked for a failure")
	}
	if s, ok := inputs["sleep"]; ok {
		text, _ := s.(string)
		d, err := time.ParseDuration(text)
		if err != nil {
			return nil, sdk.Failf("bad_input", "input \"sleep\": want a duration such as \"50ms\", got %v", s)
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := map[string]any{}
	for k, v := range inputs {
		if k != "fail" && k != "sleep" {
			out[k] = v
		}
	}
	return out, nil
}
