// Command plugin-echo is a whole openoma plugin: inputs come back as outputs.
package main

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Echo is the adapter; the zero value is ready.
type Echo struct {
	sdk.NoConditions           // it judges no conditions
	tasks            sdk.Tasks // runs each block in the background
}

var me = sdk.System("echo") // the executor its events name

func (a *Echo) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "echo", Version: "1.0.0", Hints: []string{"echo"}}, nil
}

// ExecuteBlock must return at once: the work runs in a task.
func (a *Echo) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	a.start(ctx, req.Emitter(me), req.Inputs)
	return req.ExecutionID, nil
}

// ResumeBlock runs an unfinished block again; a finished one needs nothing.
func (a *Echo) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	em, b, err := req.Emitter(ctx, me)
	if err != nil || b.State.IsTerminal() {
		return err
	}
	a.start(ctx, em, b.Inputs())
	return nil
}

// CancelBlock stops the task, or records the cancellation if none runs.
func (a *Echo) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	if a.tasks.Cancel(req.ExecutionID, req.Reason) {
		return nil
	}
	if err := req.Emitter(me).Cancel(ctx, req.Reason); !errors.Is(err, store.ErrFinal) {
		return err
	}
	return nil
}

func (a *Echo) start(ctx context.Context, em *sdk.Emitter, inputs map[string]any) {
	a.tasks.Go(ctx, em.ExecutionID(), func(ctx context.Context) {
		_ = em.Run(ctx, func(context.Context) (map[string]any, error) { return inputs, nil })
	})
}

func main() { sdk.Serve(&Echo{}) }
