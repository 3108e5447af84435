// Command plugin-echo is a whole openoma plugin: a block's inputs come
// back as its outputs. sdk.BlockAdapter does the rest: the block's
// lifecycle events, resume after a crash, cancel, shutdown.
package main

import (
	"context"

	"github.com/openoma/openoma/sdk"
)

// newEcho returns the adapter. Echoing twice does no harm: it is
// idempotent, so a block interrupted by a crash simply runs again.
func newEcho() *sdk.BlockAdapter {
	return &sdk.BlockAdapter{
		Info:       sdk.Info{Name: "echo", Version: "1.0.0", Hints: []string{"echo"}},
		Idempotent: true,
		Work: func(_ context.Context, job sdk.Job) (map[string]any, error) {
			return job.Inputs, nil
		},
	}
}

func main() { sdk.Serve(newEcho()) }
