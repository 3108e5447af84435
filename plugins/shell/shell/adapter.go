package shell

import (
	"context"
	"os"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/procguard"
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
// with New. The lifecycle — execute, resume, cancel, shutdown — is
// sdk.BlockAdapter's; see ResumeBlock for what resuming means here.
type Adapter struct {
	*sdk.BlockAdapter
	opts  Options
	ports sdk.Ports
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
	a := &Adapter{opts: opts}
	a.BlockAdapter = &sdk.BlockAdapter{
		Info:          sdk.Info{Name: Name, Version: Version, Hints: append([]string(nil), Hints...)},
		Executor:      executor,
		Work:          a.work,
		IdempotentFor: idempotent,
		Prepare:       a.prepare,
		Leftovers: func(_ context.Context, b execution.BlockExecution) {
			reapStale(b.ID, lastCommandGroup(b))
		},
	}
	return a
}

// ResumeBlock continues an execution after a plugin or host restart (it
// is sdk.BlockAdapter's):
//   - a finished execution, or one this process is running, is left alone;
//   - one that never started is started;
//   - one whose outputs were recorded (the command finished) is completed
//     without running the command again;
//   - one whose command was running under a previous plugin process is
//     run again when the command is idempotent (the default), after
//     killing what is left of the old run; otherwise it fails with code
//     "interrupted".
func (a *Adapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	return a.BlockAdapter.ResumeBlock(ctx, req)
}

// Shutdown stops every running command (its process group) and releases
// its execution, for the next plugin process to resume; then it ends the
// watchdog.
func (a *Adapter) Shutdown(ctx context.Context) error {
	err := a.BlockAdapter.Shutdown(ctx)
	if cerr := a.opts.Guard.Close(); err == nil {
		err = cerr
	}
	return err
}

// idempotent reads shell.idempotent; a block whose settings are bad is
// run (again), to fail with the reason.
func idempotent(block core.WorkBlock, node core.NodeReference) bool {
	cmd, err := ParseCommand(block, node)
	return err != nil || cmd.Idempotent
}

// prepare checks the block's settings and returns its fault plan.
func (a *Adapter) prepare(ctx context.Context, job sdk.Job) (sdk.Checkpoints, error) {
	if _, err := ParseCommand(job.Block, job.Node); err != nil {
		return nil, sdk.Failf("bad_metadata", "%w", err)
	}
	spec, err := fault.FromMetadata(job.Block.Metadata, job.Node.Metadata)
	if err != nil {
		return nil, sdk.Failf("bad_metadata", "%s: %w", sdk.Where(job.Block, job.Node), err)
	}
	return a.opts.Faults.Plan(spec, job.ExecutionID, job.Attempt, sdk.Logger(ctx)), nil
}

// work runs the block's command once.
func (a *Adapter) work(ctx context.Context, job sdk.Job) (map[string]any, error) {
	cmd, err := ParseCommand(job.Block, job.Node)
	if err != nil {
		return nil, sdk.Failf("bad_metadata", "%w", err)
	}
	return a.execute(ctx, job, cmd)
}

// lastCommandGroup returns the process group of the last command the log
// says was started (its command_started progress event), or 0.
func lastCommandGroup(b execution.BlockExecution) int {
	pgid := 0
	for i := range b.Events {
		ev := &b.Events[i]
		if ev.EventType != execution.EventProgress {
			continue
		}
		var note struct {
			Type string `json:"type"`
			PID  int    `json:"pid"`
		}
		if ev.DecodePayload(&note) == nil && note.Type == "command_started" {
			pgid = note.PID
		}
	}
	return pgid
}
