package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/internal/lifecycle"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/procguard"
	"github.com/openoma/openoma/store"
)

// Name and Version identify the plugin; Hints are the execution hints it
// serves.
const (
	Name    = "shell"
	Version = "1.0.0"
)

// Hints are the execution hints the shell plugin serves.
var Hints = []string{"shell"}

// executor is who the plugin records as the executor of its events.
var executor = sdk.System(Name)

// Options adjust New. The zero value is the plugin's production setup.
type Options struct {
	// Environ returns the plugin's environment, from which commands get
	// PATH, HOME, OPENOMA_* and the names their metadata allows;
	// os.Environ when nil.
	Environ func() []string
	// Faults performs fault injection; fault.FromEnv(os.Getenv) when nil.
	Faults *fault.Injector
	// ProgressInterval is the least time between stderr progress events;
	// DefaultProgressInterval when zero.
	ProgressInterval time.Duration
	// Guard is the watchdog that kills what the commands leave behind
	// should the plugin die; procguard.New() when nil (the binary must
	// call procguard.RunIfGuard first, which sdk.Serve does).
	Guard *procguard.Guard
}

// Adapter runs each block's `shell` command as a child process. Create it
// with New.
type Adapter struct {
	sdk.NoConditions
	opts  Options
	tasks sdk.Tasks
	ports lifecycle.Ports
}

var (
	_ sdk.Adapter    = (*Adapter)(nil)
	_ sdk.Shutdowner = (*Adapter)(nil)
)

// New returns a shell adapter.
func New(opts Options) *Adapter {
	if opts.Environ == nil {
		opts.Environ = os.Environ
	}
	if opts.Faults == nil {
		opts.Faults = fault.FromEnv(os.Getenv)
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = DefaultProgressInterval
	}
	if opts.Guard == nil {
		opts.Guard = procguard.New()
	}
	return &Adapter{opts: opts}
}

// Describe names the plugin and its hints.
func (a *Adapter) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: Name, Version: Version, Hints: append([]string(nil), Hints...)}, nil
}

// job is one block execution to run.
type job struct {
	id      uuid.UUID
	flowID  uuid.UUID
	block   core.WorkBlock
	node    core.NodeReference
	inputs  map[string]any
	attempt int
}

// ExecuteBlock starts the block's command in the background and returns.
func (a *Adapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	j := job{id: req.ExecutionID, flowID: req.FlowExecutionID, block: req.Block, node: req.Node, inputs: req.Inputs, attempt: max(req.Attempt, 1)}
	a.start(ctx, req.Emitter(executor), j, false, nil)
	return req.ExecutionID, nil
}

// Shutdown stops every running command (its process group) and releases
// its execution, for the next plugin process to resume; then it ends the
// watchdog.
func (a *Adapter) Shutdown(ctx context.Context) error {
	err := a.tasks.Shutdown(ctx)
	if cerr := a.opts.Guard.Close(); err == nil {
		err = cerr
	}
	return err
}

// start runs j in the background. held: the log shows this executor
// holding the execution already. before, when set, runs first (a progress
// note of a resume).
func (a *Adapter) start(ctx context.Context, em *sdk.Emitter, j job, held bool, before map[string]any) {
	a.tasks.Go(ctx, j.id, func(ctx context.Context) {
		if err := a.run(ctx, em, j, held, before); err != nil && !errors.Is(err, fault.ErrCrashed) {
			sdk.Logger(ctx).Error("recording the block's outcome failed", "error", err)
		}
	})
}

// run checks the block's settings and inputs, then runs its lifecycle.
func (a *Adapter) run(ctx context.Context, em *sdk.Emitter, j job, held bool, before map[string]any) error {
	cmd, err := ParseCommand(j.block, j.node)
	if err != nil {
		return em.FailErr(ctx, sdk.Failf("bad_metadata", "%w", err))
	}
	spec, err := fault.FromMetadata(j.block.Metadata, j.node.Metadata)
	if err != nil {
		return em.FailErr(ctx, sdk.Failf("bad_metadata", "%s: %w", lifecycle.Where(j.block, j.node), err))
	}
	if err := a.ports.CheckInputs(j.block, j.inputs); err != nil {
		return em.FailErr(ctx, err)
	}
	plan := a.opts.Faults.Plan(spec, j.id, j.attempt, sdk.Logger(ctx))
	return lifecycle.Run(ctx, em, plan, held, func(ctx context.Context, progress lifecycle.ProgressFunc) (map[string]any, error) {
		if before != nil {
			if err := progress(ctx, before); err != nil {
				return nil, err
			}
		}
		return a.execute(ctx, j, cmd, progress)
	})
}

// ResumeBlock continues an execution after a plugin or host restart:
//   - a finished execution, or one this process is running, is left alone;
//   - one that never started is started;
//   - one whose outputs were recorded (the command finished) is completed
//     without running the command again;
//   - one whose command was running under a previous plugin process is
//     run again when the command is idempotent (the default), after
//     killing what is left of the old run; otherwise it fails with code
//     "interrupted".
func (a *Adapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	if a.tasks.Running(req.ExecutionID) {
		return nil
	}
	em, b, err := req.Emitter(ctx, executor)
	if err != nil {
		return err
	}
	if b.State.IsTerminal() {
		return nil
	}
	j := job{id: req.ExecutionID, flowID: req.FlowExecutionID, block: req.Block, node: req.Node, inputs: b.Inputs(), attempt: b.Attempt()}
	if j.flowID == uuid.Nil {
		if c, err := execution.CreatedOf(b.Events); err == nil {
			j.flowID = c.FlowExecutionID
		}
	}
	held := holds(b)
	past := inspect(b)
	switch {
	case past.outputs:
		a.tasks.Go(ctx, j.id, func(ctx context.Context) {
			spec, _ := fault.FromMetadata(j.block.Metadata, j.node.Metadata)
			plan := a.opts.Faults.Plan(spec, j.id, j.attempt, sdk.Logger(ctx))
			err := lifecycle.Run(ctx, em, plan, held, func(context.Context, lifecycle.ProgressFunc) (map[string]any, error) {
				return nil, nil // the outputs are in the log already
			})
			if err != nil && !errors.Is(err, fault.ErrCrashed) {
				sdk.Logger(ctx).Error("completing a resumed block failed", "error", err)
			}
		})
		return nil
	case !past.started:
		a.start(ctx, em, j, held, nil)
		return nil
	}
	reapStale(j.id, past.pid)
	cmd, err := ParseCommand(j.block, j.node)
	if err != nil || cmd.Idempotent {
		a.start(ctx, em, j, held, map[string]any{"type": "resumed", "action": "rerun",
			"reason": "the command was interrupted (its plugin process ended); it is idempotent, so it runs again"})
		return nil
	}
	a.tasks.Go(ctx, j.id, func(ctx context.Context) {
		err := em.Begin(ctx)
		if err == nil {
			err = em.FailWith(ctx, execution.Failure{
				Code:    "interrupted",
				Reason:  fmt.Sprintf("%s: interrupted, not idempotent: the command was running when its plugin process ended, and shell.idempotent is false, so it is not run again", lifecycle.Where(j.block, j.node)),
				Details: map[string]any{"pid": past.pid},
			})
		}
		if err != nil {
			sdk.Logger(ctx).Error("recording an interrupted block failed", "error", err)
		}
	})
	return nil
}

// CancelBlock stops the execution's command (its whole process group) if
// it runs here; otherwise it kills what a previous plugin process left of
// it and records the cancellation. A finished execution stays as it is.
func (a *Adapter) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	if a.tasks.Cancel(req.ExecutionID, cancelReason(req.Reason)) {
		return nil
	}
	em := req.Emitter(executor)
	for range 3 {
		b, err := em.Sync(ctx)
		if err != nil {
			return err
		}
		if b.State.IsTerminal() {
			return nil
		}
		reapStale(req.ExecutionID, inspect(b).pid)
		err = em.Cancel(ctx, cancelReason(req.Reason))
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

func cancelReason(reason string) string {
	if reason == "" {
		return "cancelled"
	}
	return reason
}

// past is what a log says about earlier runs of the command.
type past struct {
	started bool // `started` was recorded: the command may have run
	outputs bool // outputs were recorded: the command finished
	pid     int  // process group of the last command started, or 0
}

func inspect(b execution.BlockExecution) past {
	var p past
	for i := range b.Events {
		ev := &b.Events[i]
		switch ev.EventType {
		case execution.EventStarted:
			p.started = true
		case execution.EventOutcomeProduced:
			p.outputs = true
		case execution.EventProgress:
			var note struct {
				Type string `json:"type"`
				PID  int    `json:"pid"`
			}
			if ev.DecodePayload(&note) == nil && note.Type == "command_started" {
				p.pid = note.PID
			}
		}
	}
	return p
}

// holds reports whether the log shows this plugin holding the execution.
func holds(b execution.BlockExecution) bool {
	cur := b.Executor()
	return cur != nil && cur.Type == executor.Type && cur.Identifier == executor.Identifier
}
