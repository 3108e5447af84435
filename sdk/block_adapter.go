package sdk

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Job is one run of a block execution's work.
type Job struct {
	ExecutionID     uuid.UUID
	FlowExecutionID uuid.UUID
	Block           core.WorkBlock
	Node            core.NodeReference
	Inputs          map[string]any
	Attempt         int
	// Emitter records the execution; the work may report progress with
	// Emitter.Progress (and must return when that fails during a
	// checkpoint, see Checkpoints).
	Emitter *Emitter
	// Rerun: an earlier run of this execution's work was interrupted (its
	// plugin process ended after `started`), and this runs it again.
	Rerun bool
}

// Work is a block's work: it returns the outputs (output port → value)
// or an error (Failf gives the failure a code). Its context ends when the
// execution is cancelled or the plugin shuts down.
type Work func(ctx context.Context, job Job) (map[string]any, error)

// BlockAdapter is a whole Adapter for the common case, a block whose work
// is a function: set Info and Work (and Idempotent, if it is), and Serve
// it. It implements ExecuteBlock, ResumeBlock, CancelBlock and Shutdown:
//
//   - ExecuteBlock checks the inputs against the block's ports (a bad one
//     fails the execution with code "bad_input"), then runs Work in the
//     background with Emitter.Run;
//   - ResumeBlock leaves alone an execution that ended or runs in this
//     process; completes one whose outputs were recorded without running
//     the work again; runs one that never started; and one whose work was
//     running when its plugin process ended it runs again if Idempotent,
//     else fails it with code "interrupted" (a non-idempotent block's
//     start is recorded before its work begins, so the log tells);
//   - CancelBlock stops the work if it runs here, otherwise records the
//     cancellation — nothing when the execution already ended, and a
//     conflicting append (the run that just ended) is looked at again;
//   - Shutdown stops all work and releases its executions, for the next
//     plugin process to resume.
//
// It judges no conditions (EvaluateCondition says ErrUnsupported); embed
// it in a type of your own to add that, or to override a method. Use it
// by pointer; the zero value of its unexported state is ready.
type BlockAdapter struct {
	NoConditions

	// Info is what Describe answers.
	Info Info
	// Executor is whom the events name; System(Info.Name) when zero.
	Executor execution.ExecutorInfo
	// Work is the block's work.
	Work Work
	// Idempotent: running the work twice for one execution does no harm,
	// so work interrupted by a crash runs again on resume.
	Idempotent bool
	// IdempotentFor, when set, decides per block instead of Idempotent
	// (the shell plugin reads the block's metadata).
	IdempotentFor func(block core.WorkBlock, node core.NodeReference) bool
	// Prepare, when set, checks a job before its inputs are checked and
	// its work runs — its metadata, say — and returns the Checkpoints of
	// the run (nil for none). An error fails the execution with it (a
	// BlockError keeps its code) and the work does not run.
	Prepare func(ctx context.Context, job Job) (Checkpoints, error)
	// Leftovers, when set, is called with the log before an execution
	// whose work a previous plugin process started is run again, failed
	// as interrupted, or cancelled: to clean up what that process left
	// (the shell plugin kills what is left of the command).
	Leftovers func(ctx context.Context, b execution.BlockExecution)

	tasks Tasks
	ports Ports
}

var (
	_ Adapter    = (*BlockAdapter)(nil)
	_ Shutdowner = (*BlockAdapter)(nil)
)

// Describe returns Info.
func (a *BlockAdapter) Describe(context.Context) (Info, error) {
	info := a.Info
	info.Hints = append([]string(nil), a.Info.Hints...)
	return info, nil
}

func (a *BlockAdapter) executor() execution.ExecutorInfo {
	if a.Executor.Identifier == "" {
		return System(a.Info.Name)
	}
	return a.Executor
}

func (a *BlockAdapter) idempotent(block core.WorkBlock, node core.NodeReference) bool {
	if a.IdempotentFor != nil {
		return a.IdempotentFor(block, node)
	}
	return a.Idempotent
}

// ExecuteBlock starts the work in the background and returns.
func (a *BlockAdapter) ExecuteBlock(ctx context.Context, req ExecuteRequest) (uuid.UUID, error) {
	if a.Work == nil {
		return uuid.Nil, fmt.Errorf("execute block %s: %w: the adapter has no Work", req.ExecutionID, ErrUnsupported)
	}
	em := req.Emitter(a.executor())
	a.start(ctx, Job{
		ExecutionID: req.ExecutionID, FlowExecutionID: req.FlowExecutionID, Block: req.Block, Node: req.Node,
		Inputs: req.Inputs, Attempt: max(req.Attempt, 1), Emitter: em,
	}, nil)
	return req.ExecutionID, nil
}

// start runs job in the background; note, when set, is recorded as a
// progress event before the work runs (why a resume runs it again).
func (a *BlockAdapter) start(ctx context.Context, job Job, note map[string]any) {
	a.tasks.Go(ctx, job.ExecutionID, func(ctx context.Context) {
		if err := a.run(ctx, job, note); err != nil {
			Logger(ctx).Error("the block's run ended without recording its outcome", "error", err)
		}
	})
}

func (a *BlockAdapter) run(ctx context.Context, job Job, note map[string]any) error {
	em := job.Emitter
	var checkpoints Checkpoints
	if a.Prepare != nil {
		var err error
		if checkpoints, err = a.Prepare(ctx, job); err != nil {
			return em.FailErr(ctx, err)
		}
	}
	if err := a.ports.CheckInputs(job.Block, job.Inputs); err != nil {
		return em.FailErr(ctx, err)
	}
	opts := []RunOption{WithCheckpoints(checkpoints)}
	if !a.idempotent(job.Block, job.Node) {
		opts = append(opts, BeginFirst())
	}
	return em.Run(ctx, func(ctx context.Context) (map[string]any, error) {
		if note != nil {
			if err := em.Progress(ctx, note); err != nil {
				return nil, err
			}
		}
		return a.Work(ctx, job)
	}, opts...)
}

// ResumeBlock continues an execution after a plugin or host restart (see
// BlockAdapter for what that means).
func (a *BlockAdapter) ResumeBlock(ctx context.Context, req ResumeRequest) error {
	if a.tasks.Running(req.ExecutionID) {
		return nil
	}
	em, b, err := req.Emitter(ctx, a.executor())
	if err != nil || b.State.IsTerminal() {
		return err
	}
	job := Job{ExecutionID: req.ExecutionID, FlowExecutionID: req.FlowExecutionID, Block: req.Block, Node: req.Node,
		Inputs: b.Inputs(), Attempt: b.Attempt(), Emitter: em}
	if job.FlowExecutionID == uuid.Nil {
		if c, err := execution.CreatedOf(b.Events); err == nil {
			job.FlowExecutionID = c.FlowExecutionID
		}
	}
	started, produced := history(b)
	switch {
	case produced:
		a.tasks.Go(ctx, job.ExecutionID, func(ctx context.Context) {
			if err := a.complete(ctx, job); err != nil {
				Logger(ctx).Error("completing a resumed block failed", "error", err)
			}
		})
	case !started:
		a.start(ctx, job, nil)
	case a.idempotent(job.Block, job.Node):
		if a.Leftovers != nil {
			a.Leftovers(ctx, b)
		}
		job.Rerun = true
		a.start(ctx, job, map[string]any{"type": "resumed", "action": "rerun",
			"reason": "the work was interrupted (its plugin process ended); it is idempotent, so it runs again"})
	default:
		if a.Leftovers != nil {
			a.Leftovers(ctx, b)
		}
		a.tasks.Go(ctx, job.ExecutionID, func(ctx context.Context) {
			if err := a.interrupted(ctx, job); err != nil {
				Logger(ctx).Error("recording an interrupted block failed", "error", err)
			}
		})
	}
	return nil
}

// complete ends an execution whose outputs are in the log already.
func (a *BlockAdapter) complete(ctx context.Context, job Job) error {
	var opts []RunOption
	if a.Prepare != nil {
		if checkpoints, err := a.Prepare(ctx, job); err == nil {
			opts = append(opts, WithCheckpoints(checkpoints))
		}
	}
	return job.Emitter.Run(ctx, func(context.Context) (map[string]any, error) { return nil, nil }, opts...)
}

// interrupted fails an execution whose non-idempotent work may have run.
func (a *BlockAdapter) interrupted(ctx context.Context, job Job) error {
	if err := job.Emitter.Begin(ctx); err != nil {
		return err
	}
	return job.Emitter.FailWith(ctx, execution.Failure{
		Code: "interrupted",
		Reason: fmt.Sprintf("%s: interrupted, not idempotent: its work was running when its plugin process ended, and it is not idempotent, so it is not run again",
			Where(job.Block, job.Node)),
	})
}

// history reports whether the log shows the work started and outputs
// recorded.
func history(b execution.BlockExecution) (started, produced bool) {
	for i := range b.Events {
		switch b.Events[i].EventType {
		case execution.EventStarted:
			started = true
		case execution.EventOutcomeProduced:
			produced = true
		}
	}
	return started, produced
}

// maxCancelAttempts bounds how often CancelBlock looks again at a log that
// changed under it.
const maxCancelAttempts = 3

// CancelBlock stops the work if it runs here; otherwise it records the
// cancellation (after Leftovers, if the work had started). An execution
// that already ended stays as it is.
func (a *BlockAdapter) CancelBlock(ctx context.Context, req CancelRequest) error {
	reason := req.Reason
	if reason == "" {
		reason = "cancelled"
	}
	if a.tasks.Cancel(req.ExecutionID, reason) {
		return nil
	}
	em := req.Emitter(a.executor())
	for range maxCancelAttempts {
		b, err := em.Sync(ctx)
		if err != nil {
			return err
		}
		if b.State.IsTerminal() {
			return nil
		}
		if started, _ := history(b); started && a.Leftovers != nil {
			a.Leftovers(ctx, b)
		}
		err = em.Cancel(ctx, reason)
		switch {
		case err == nil, errors.Is(err, store.ErrFinal):
			return nil
		case !errors.Is(err, store.ErrConflict):
			return err
		}
		// Someone appended meanwhile (the run that just ended): look again.
	}
	return fmt.Errorf("cancel execution %s: the log kept changing", req.ExecutionID)
}

// Shutdown stops all running work and releases its executions for the
// next plugin process to resume; it waits for that, or ctx to end.
func (a *BlockAdapter) Shutdown(ctx context.Context) error { return a.tasks.Shutdown(ctx) }
