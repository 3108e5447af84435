package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/sdk"
)

// ProgressFunc records one progress event; it returns an error matching
// fault.ErrCrashed when a simulated crash happened after it, and the work
// must then return at once.
type ProgressFunc func(ctx context.Context, payload any) error

// Work is a block's work: it returns the outputs, or an error (sdk.Failf
// gives the failure a code). It may call progress from any goroutine.
type Work func(ctx context.Context, progress ProgressFunc) (map[string]any, error)

// finalAppendTimeout bounds the append that records how the work ended,
// which runs even when the work's context was cancelled.
const finalAppendTimeout = 30 * time.Second

// Run does a block's whole lifecycle like sdk.Emitter.Run — begin, work,
// finish; a failure, cancellation or shutdown recorded as such — with the
// fault plan's crash points honoured: the point it crashes after is
// recorded in an append of its own (the normal path batches assigned with
// started, and outputs with completed), then the plan decides whether to
// crash. held reports whether the log already shows this executor holding
// the execution (a resume after a host crash), so it is not assigned again.
//
// Run returns the error of recording, not of the work (which is in the
// log), and an error matching fault.ErrCrashed after a simulated crash,
// having recorded nothing more.
func Run(ctx context.Context, em *sdk.Emitter, plan *fault.Plan, held bool, work Work) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if err := begin(ctx, em, plan, held); err != nil {
		if ctx.Err() == nil || errors.Is(err, fault.ErrCrashed) {
			return err
		}
		// Cancelled (or shutting down) before the work began: the append
		// failed for that reason, and the cancellation is what to record.
		return ended(ctx, em, false)
	}
	var (
		crashMu sync.Mutex
		crashed error
	)
	progress := func(pctx context.Context, payload any) error {
		if err := em.Progress(pctx, payload); err != nil {
			return err
		}
		if err := plan.Reached(pctx, fault.Progress); err != nil {
			if errors.Is(err, fault.ErrCrashed) {
				crashMu.Lock()
				crashed = err
				crashMu.Unlock()
				stop(err) // a dead process's work stops too
			}
			return err
		}
		return nil
	}
	outputs, err := protect(ctx, work, progress)
	crashMu.Lock()
	if crashed != nil {
		crashMu.Unlock()
		return crashed
	}
	crashMu.Unlock()
	if ctx.Err() != nil {
		return ended(ctx, em, true)
	}
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalAppendTimeout)
	defer cancel()
	if err != nil {
		return em.FailErr(record, err)
	}
	return finish(record, em, plan, outputs)
}

// ended records why ctx ended: a shutdown releases the execution (the
// next plugin process resumes it; nothing is recorded if it never began),
// anything else cancels it.
func ended(ctx context.Context, em *sdk.Emitter, begun bool) error {
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalAppendTimeout)
	defer cancel()
	if errors.Is(context.Cause(ctx), sdk.ErrShuttingDown) {
		if !begun {
			return nil
		}
		return em.Release(record, "plugin shutting down")
	}
	return em.Cancel(record, cancelReason(ctx))
}

// begin records executor_assigned and started, separately when the plan
// crashes after assigned.
func begin(ctx context.Context, em *sdk.Emitter, plan *fault.Plan, held bool) error {
	if plan.At(fault.Assigned) {
		if !held {
			if err := em.Assign(ctx); err != nil {
				return err
			}
		}
		if err := plan.Reached(ctx, fault.Assigned); err != nil {
			return err
		}
	}
	if err := em.Begin(ctx); err != nil {
		return err
	}
	return plan.Reached(ctx, fault.Started)
}

// Finish records outputs and completion (separately when the plan crashes
// after output); outputs on undeclared ports fail the block, missing
// required outputs fail it too (the Emitter records that).
func Finish(ctx context.Context, em *sdk.Emitter, plan *fault.Plan, outputs map[string]any) error {
	return finish(ctx, em, plan, outputs)
}

func finish(ctx context.Context, em *sdk.Emitter, plan *fault.Plan, outputs map[string]any) error {
	var err error
	if plan.At(fault.Output) {
		if len(outputs) > 0 {
			err = em.Output(ctx, outputs)
		}
		if err == nil {
			if err = plan.Reached(ctx, fault.Output); err != nil {
				return err
			}
			err = em.Complete(ctx)
		}
	} else {
		err = em.Finish(ctx, outputs)
	}
	switch {
	case errors.Is(err, sdk.ErrUndeclaredOutput):
		return em.Fail(ctx, "undeclared_output", err.Error())
	case errors.Is(err, sdk.ErrMissingOutput):
		return nil // recorded as failed, as intended
	}
	return err
}

// protect runs work, turning a panic into a failure.
func protect(ctx context.Context, work Work, progress ProgressFunc) (outputs map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			sdk.Logger(ctx).Error("block work panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = sdk.Failf("panic", "the plugin's work panicked: %v", r)
		}
	}()
	return work(ctx, progress)
}

func cancelReason(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause.Error()
	}
	return "cancelled"
}
