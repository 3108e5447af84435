package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// WorkFunc is a block's work: it returns the outputs (output port → value)
// or an error (use Failf to give the failure a code).
type WorkFunc func(ctx context.Context) (map[string]any, error)

// finalAppendTimeout bounds the append that records how the work ended,
// which runs even when the work's context was cancelled.
const finalAppendTimeout = 30 * time.Second

// CoalesceWindow is how long Run lets work run before it records the
// start. Work that ends within it — a lookup, a no-op, a refusal of bad
// inputs — is recorded in a single append (assigned, started, outcome,
// end), which halves the round trips of short blocks across the plugin
// boundary; longer work shows as started after at most this delay.
const CoalesceWindow = 2 * time.Millisecond

type workResult struct {
	outputs map[string]any
	err     error
}

// Run does a block's whole lifecycle: it runs the work and records
// executor_assigned and started (Begin), then the outputs and completed
// (Finish) — or failed with the work's error, or cancelled if ctx was
// cancelled while it ran (released instead, if the cause is
// ErrShuttingDown, so that the next plugin process resumes it). Work that
// ends within CoalesceWindow is recorded in one append, unless BeginFirst
// or Checkpoints ask for the start to be recorded first.
//
// A panic in work fails the block ("panic" code) instead of killing the
// plugin; outputs on undeclared ports fail it too ("undeclared_output"),
// outputs too large for one append ("output_too_large"), missing required
// outputs as Finish does ("missing_output"). The work may report progress
// with e.Progress, from any goroutine. Run returns the error of
// recording, not of the work (which is in the log) — or the error of a
// checkpoint that stopped the run (see Checkpoints).
//
// Run blocks while the work runs: call it from a goroutine (see Tasks), not
// from ExecuteBlock.
func (e *Emitter) Run(ctx context.Context, work WorkFunc, opts ...RunOption) error {
	cfg := &runConfig{}
	for _, o := range opts {
		o(cfg)
	}
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalAppendTimeout)
	defer cancel()
	workCtx, stopWork := context.WithCancelCause(ctx)
	defer stopWork(nil)
	run := &activeRun{cfg: cfg, stopWork: stopWork}
	e.mu.Lock()
	e.run = run
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.run = nil
		e.mu.Unlock()
	}()

	var r workResult
	if cfg.beginFirst || cfg.at(CheckpointAssigned) || cfg.at(CheckpointStarted) {
		if err := e.beginFirst(workCtx, run); err != nil {
			if run.stopped() != nil || ctx.Err() == nil {
				return err
			}
			// Cancelled (or shutting down) before the work began: the
			// append failed for that reason; record the cancellation.
			return e.ended(ctx, record)
		}
		r.outputs, r.err = protect(workCtx, work)
	} else {
		results := make(chan workResult, 1)
		go func() {
			outputs, err := protect(workCtx, work)
			results <- workResult{outputs, err}
		}()
		var err error
		if r, err = e.awaitOrBegin(ctx, results, stopWork); err != nil {
			return err
		}
	}
	if err := run.stopped(); err != nil {
		return err
	}
	switch {
	case ctx.Err() != nil:
		return e.ended(ctx, record)
	case r.err != nil:
		return e.endBegun(record, step{typ: execution.EventFailed, payload: FailureOf(r.err)})
	}
	err := e.finish(record, run, r.outputs)
	switch {
	case run.stopped() != nil:
		return run.stopped()
	case errors.Is(err, ErrUndeclaredOutput):
		return e.endBegun(record, step{typ: execution.EventFailed,
			payload: execution.Failure{Code: "undeclared_output", Reason: err.Error()}})
	case errors.Is(err, ErrTooLarge):
		return e.endBegun(record, step{typ: execution.EventFailed,
			payload: execution.Failure{Code: "output_too_large", Reason: err.Error()}})
	case errors.Is(err, ErrMissingOutput):
		return nil // recorded as failed, as intended
	case err != nil && !anotherWriter(err) && ctx.Err() == nil:
		// The store refused the outcome itself (too big for it, say):
		// record that, or the execution would stay running for good.
		if ferr := e.endBegun(record, step{typ: execution.EventFailed, payload: execution.Failure{
			Code: "record_failed", Reason: "recording the outputs failed: " + cut(err.Error(), maxReasonBytes)}}); ferr != nil {
			return fmt.Errorf("%w (and recording that failed: %w)", err, ferr)
		}
		return nil
	}
	return err
}

// maxReasonBytes bounds an error's text quoted in a failure reason (a
// store's error may quote the whole value it refused).
const maxReasonBytes = 500

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// anotherWriter reports whether err says the execution is someone else's
// to end, or the host is out of reach: nothing more to record then.
func anotherWriter(err error) bool {
	for _, sentinel := range []error{store.ErrConflict, store.ErrFinal, store.ErrClosed, ErrUnavailable, ErrNotGranted, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}

// activeRun is what Progress needs to know of the Run in progress.
type activeRun struct {
	cfg      *runConfig
	stopWork context.CancelCauseFunc

	mu   sync.Mutex
	stop error // the error of the checkpoint that stopped the run
}

// checkpoint tells the run's Checkpoints that c was recorded; an error
// stops the run's work, and the run records nothing more.
func (r *activeRun) checkpoint(ctx context.Context, c Checkpoint) error {
	err := r.cfg.reached(ctx, c)
	if err != nil {
		r.mu.Lock()
		if r.stop == nil {
			r.stop = err
		}
		r.mu.Unlock()
		r.stopWork(err) // a dead process's work stops too
	}
	return err
}

func (r *activeRun) stopped() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop
}

// beginFirst records the start before the work begins: assigned and
// started, apart when the Checkpoints want to stop between them.
func (e *Emitter) beginFirst(ctx context.Context, run *activeRun) error {
	if run.cfg.at(CheckpointAssigned) {
		if !e.holds() {
			if err := e.Assign(ctx); err != nil {
				return err
			}
		}
		if err := run.checkpoint(ctx, CheckpointAssigned); err != nil {
			return err
		}
	}
	if err := e.Begin(ctx); err != nil {
		return err
	}
	return run.checkpoint(ctx, CheckpointStarted)
}

// finish records the outputs and completion, apart when the Checkpoints
// want to stop between them.
func (e *Emitter) finish(ctx context.Context, run *activeRun, outputs map[string]any) error {
	if !run.cfg.at(CheckpointOutput) {
		return e.Finish(ctx, outputs)
	}
	if len(outputs) > 0 {
		if err := e.Output(ctx, outputs); err != nil {
			return err
		}
	}
	if err := run.checkpoint(ctx, CheckpointOutput); err != nil {
		return err
	}
	return e.Complete(ctx)
}

// ended records why ctx ended: a shutdown releases the execution for the
// next plugin process to resume (nothing is recorded if this executor
// never held it); anything else cancels it.
func (e *Emitter) ended(ctx, record context.Context) error {
	if errors.Is(context.Cause(ctx), ErrShuttingDown) {
		holds, err := e.holdsNow(record)
		if err != nil || !holds {
			return err
		}
		return e.Release(record, "plugin shutting down")
	}
	return e.Cancel(record, cancelReason(ctx))
}

// awaitOrBegin waits CoalesceWindow for the work; if it is still running,
// it records the start and waits for the end. If the start cannot be
// recorded (another executor holds the execution), the work is stopped.
func (e *Emitter) awaitOrBegin(ctx context.Context, results <-chan workResult, stopWork context.CancelCauseFunc) (workResult, error) {
	timer := time.NewTimer(CoalesceWindow)
	defer timer.Stop()
	select {
	case r := <-results:
		return r, nil
	case <-timer.C:
	}
	if err := e.Begin(ctx); err != nil && ctx.Err() == nil {
		stopWork(err)
		<-results
		return workResult{}, err
	}
	return <-results, nil
}

// holds reports whether this Emitter's executor holds the execution, as
// far as it knows.
func (e *Emitter) holds() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.assigned
}

// holdsNow reports whether this Emitter's executor holds the execution,
// re-reading the log first if an append's fate is unknown (one cancelled
// in flight may have landed).
func (e *Emitter) holdsNow(ctx context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.refreshLocked(ctx); err != nil {
		return false, err
	}
	return e.assigned, nil
}

// endBegun records a terminal step, with the begin steps the log still
// lacks, in one append.
func (e *Emitter) endBegun(ctx context.Context, end step) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.refreshLocked(ctx); err != nil {
		return err
	}
	return e.appendLocked(ctx, append(e.beginSteps(), end)...)
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
