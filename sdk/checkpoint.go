package sdk

import "context"

// Checkpoint is a point of a block's lifecycle that Run records in an
// append of its own when Checkpoints ask for it, so that something (fault
// injection: a simulated crash) can happen between it and the next.
type Checkpoint string

// The checkpoints, in lifecycle order.
const (
	// CheckpointAssigned: executor_assigned is recorded; the work has not
	// started.
	CheckpointAssigned Checkpoint = "assigned"
	// CheckpointStarted: started is recorded; the work has not started.
	CheckpointStarted Checkpoint = "started"
	// CheckpointProgress: a progress event is recorded (Emitter.Progress
	// during Run); the work is under way.
	CheckpointProgress Checkpoint = "progress"
	// CheckpointOutput: outcome_produced is recorded, completed is not.
	CheckpointOutput Checkpoint = "output"
)

// Checkpoints is told when Run has recorded a checkpoint. The bundled
// plugins' fault injection implements it to crash at a chosen point.
type Checkpoints interface {
	// At reports whether Run must record checkpoint c in an append of its
	// own (normally it batches assigned with started, and outputs with
	// completed).
	At(c Checkpoint) bool
	// Reached is called once c has been recorded. An error stops the run
	// at once, recording nothing more, and Run returns it — what a process
	// that died there would have done.
	Reached(ctx context.Context, c Checkpoint) error
}

// RunOption adjusts Emitter.Run.
type RunOption func(*runConfig)

type runConfig struct {
	checkpoints Checkpoints
	beginFirst  bool
}

// WithCheckpoints has Run tell c about each checkpoint it records.
func WithCheckpoints(c Checkpoints) RunOption { return func(r *runConfig) { r.checkpoints = c } }

// BeginFirst has Run record the start (assigned, started) before the work
// begins, rather than let short work end first and record it all in one
// append. Work that must not run twice needs it: a resume that finds no
// `started` then knows the work never ran.
func BeginFirst() RunOption { return func(r *runConfig) { r.beginFirst = true } }

// at reports whether c must be recorded apart; nil Checkpoints never ask.
func (r *runConfig) at(c Checkpoint) bool { return r.checkpoints != nil && r.checkpoints.At(c) }

func (r *runConfig) reached(ctx context.Context, c Checkpoint) error {
	if r.checkpoints == nil {
		return nil
	}
	return r.checkpoints.Reached(ctx, c)
}
