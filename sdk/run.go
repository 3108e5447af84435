package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
)

// WorkFunc is a block's work: it returns the outputs (output port → value)
// or an error (use Failf to give the failure a code).
type WorkFunc func(ctx context.Context) (map[string]any, error)

// finalAppendTimeout bounds the append that records how the work ended,
// which runs even when the work's context was cancelled.
const finalAppendTimeout = 30 * time.Second

// Run does a block's whole lifecycle: Begin, the work, then Finish with its
// outputs — or Fail with its error, or Cancel if ctx was cancelled while it
// ran (Release instead, if the cause is ErrShuttingDown). A panic in work fails the block ("panic" code) instead of killing
// the plugin; outputs on undeclared ports fail it too. Run returns the
// error of recording, not of the work (which is in the log).
//
// Run blocks while the work runs: call it from a goroutine (see Tasks), not
// from ExecuteBlock.
func (e *Emitter) Run(ctx context.Context, work WorkFunc) error {
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalAppendTimeout)
	defer cancel()
	var outputs map[string]any
	err := e.Begin(ctx)
	if err == nil {
		outputs, err = protect(ctx, work)
	} else if ctx.Err() == nil {
		return err
	}
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), ErrShuttingDown) {
			// Not cancelled: the next plugin process resumes it.
			return e.Release(record, "plugin shutting down")
		}
		return e.Cancel(record, cancelReason(ctx))
	}
	if err != nil {
		return e.FailErr(record, err)
	}
	err = e.Finish(record, outputs)
	if errors.Is(err, ErrUndeclaredOutput) {
		return e.Fail(record, "undeclared_output", err.Error())
	}
	if errors.Is(err, ErrMissingOutput) {
		return nil // recorded as failed, as intended
	}
	return err
}

// protect runs work, turning a panic into a failure.
func protect(ctx context.Context, work WorkFunc) (outputs map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			Logger(ctx).Error("block work panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = Failf("panic", "the plugin's work panicked: %v", r)
		}
	}()
	return work(ctx)
}

func cancelReason(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause.Error()
	}
	return "cancelled"
}

// Tasks runs each block execution's work in its own goroutine and lets
// CancelBlock and Shutdown reach it. The zero value is ready to use; an
// adapter usually holds one.
type Tasks struct {
	mu      sync.Mutex
	running map[uuid.UUID]context.CancelCauseFunc
	wg      sync.WaitGroup
}

// Go runs fn in a new goroutine for execution id, unless work for id is
// already running (then it returns false: resuming an execution this
// process is still working on is a no-op). fn's context keeps ctx's values
// (the request logger) but not its cancellation — a request's context ends
// when the call returns — and is cancelled by Cancel or CancelAll.
func (t *Tasks) Go(ctx context.Context, id uuid.UUID, fn func(ctx context.Context)) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == nil {
		t.running = map[uuid.UUID]context.CancelCauseFunc{}
	}
	if _, ok := t.running[id]; ok {
		return false
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	t.running[id] = cancel
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.finish(id, cancel)
		defer func() {
			if r := recover(); r != nil {
				Logger(ctx).Error("task panicked", "execution_id", id, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		fn(runCtx)
	}()
	return true
}

func (t *Tasks) finish(id uuid.UUID, cancel context.CancelCauseFunc) {
	cancel(nil)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.running, id)
}

// Running reports whether work for id is running in this process.
func (t *Tasks) Running(id uuid.UUID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.running[id]
	return ok
}

// Cancel cancels the work for id with reason as its cause and reports
// whether any was running.
func (t *Tasks) Cancel(id uuid.UUID, reason string) bool {
	t.mu.Lock()
	cancel, ok := t.running[id]
	t.mu.Unlock()
	if ok {
		cancel(errors.New(reason))
	}
	return ok
}

// Shutdown stops all running work with ErrShuttingDown as the cause — Run
// then releases the execution instead of cancelling it, so the next plugin
// process resumes it — and waits for it to return or ctx to end. Call it
// from the adapter's Shutdown.
func (t *Tasks) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	for _, cancel := range t.running {
		cancel(ErrShuttingDown)
	}
	t.mu.Unlock()
	return t.Wait(ctx)
}

// Wait blocks until all work has returned or ctx is done.
func (t *Tasks) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for running blocks: %w", ctx.Err())
	}
}
