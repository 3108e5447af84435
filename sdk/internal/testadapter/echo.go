// Package testadapter holds the adapter the sdk's own tests and benchmarks
// run, in-process and as a real plugin binary (sdk/internal/testplugin).
package testadapter

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Echo copies its inputs to the outputs of the same name (so the block
// must declare an output for each input it is given). Two inputs
// steer it, for tests: "fail" (true) fails the block, "sleep" (a Go
// duration) makes it work that long first, honouring cancellation.
type Echo struct {
	sdk.NoConditions
	tasks sdk.Tasks
}

var executor = sdk.System("echo")

// Describe names the adapter.
func (a *Echo) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "echo", Version: "test", Hints: []string{"echo"}}, nil
}

// ExecuteBlock starts the work in the background and returns at once.
func (a *Echo) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	em := req.Emitter(executor)
	a.start(ctx, em, req.Inputs)
	return req.ExecutionID, nil
}

// ResumeBlock re-runs an unfinished execution; a finished one is left alone.
func (a *Echo) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	em, b, err := req.Emitter(ctx, executor)
	if err != nil {
		return err
	}
	if b.State.IsTerminal() {
		return nil
	}
	a.start(ctx, em, b.Inputs())
	return nil
}

// CancelBlock stops running work, or records the cancellation itself when
// nothing runs here; an execution that already ended stays as it is.
func (a *Echo) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	if a.tasks.Cancel(req.ExecutionID, req.Reason) {
		return nil
	}
	err := req.Emitter(executor).Cancel(ctx, req.Reason)
	if errors.Is(err, store.ErrFinal) {
		return nil
	}
	return err
}

// Shutdown releases running work for the next process to resume.
func (a *Echo) Shutdown(ctx context.Context) error { return a.tasks.Shutdown(ctx) }

func (a *Echo) start(ctx context.Context, em *sdk.Emitter, inputs map[string]any) {
	a.tasks.Go(ctx, em.ExecutionID(), func(ctx context.Context) {
		if err := em.Run(ctx, func(ctx context.Context) (map[string]any, error) { return echo(ctx, inputs) }); err != nil {
			sdk.Logger(ctx).Error("recording the outcome failed", "error", err)
		}
	})
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
