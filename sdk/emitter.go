package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Emitter records the lifecycle of one block execution, one call per step:
// it fills in event ids, timestamps, the executor and the expected
// sequence, checks outputs against the block's declared ports, and batches
// steps that belong together into one atomic append, so that a block that
// does no real work costs two appends (Begin, Finish) — or one (Finish
// alone).
//
// An Emitter is bound to the execution it was made for: it cannot write
// anywhere else, and the host's store refuses writes to executions the
// plugin was not given. It tracks the last sequence it saw and appends
// with that as the expected sequence, so a write by someone else (another
// executor that took over) surfaces as an error matching store.ErrConflict
// instead of interleaving silently; call Sync to catch up deliberately.
//
// An Emitter is safe for concurrent use; its appends are serialised.
type Emitter struct {
	store       store.EventStore
	executionID uuid.UUID
	executor    execution.ExecutorInfo
	block       *core.WorkBlock
	now         func() time.Time

	mu       sync.Mutex
	seq      uint64 // last sequence seen; 0 while unknown
	stale    bool   // an append's fate is unknown: re-read before the next
	assigned bool   // this emitter's executor holds the execution
	started  bool
	terminal execution.EventType
	produced map[string]bool
	run      *activeRun // the Run in progress, if any
}

// EmitterOption adjusts NewEmitter.
type EmitterOption func(*Emitter)

// WithBlock makes the Emitter check outcomes against b's output ports.
func WithBlock(b core.WorkBlock) EmitterOption { return func(e *Emitter) { e.block = &b } }

// WithSequence tells the Emitter the execution's last sequence, so its
// first append can already expect it.
func WithSequence(seq uint64) EmitterOption { return func(e *Emitter) { e.seq = seq } }

// WithClock stamps events with now() instead of the wall clock.
func WithClock(now func() time.Time) EmitterOption { return func(e *Emitter) { e.now = now } }

// NewEmitter returns an Emitter for one execution of s. Prefer the request
// methods (ExecuteRequest.Emitter, ResumeRequest.Emitter,
// CancelRequest.Emitter), which fill in what the request knows.
func NewEmitter(s store.EventStore, executionID uuid.UUID, executor execution.ExecutorInfo, opts ...EmitterOption) *Emitter {
	e := &Emitter{
		store:       s,
		executionID: executionID,
		executor:    executor,
		now:         time.Now,
		produced:    map[string]bool{},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Emitter returns an Emitter for the execution the request starts. It
// checks outputs against req.Block and expects req.Sequence.
func (r ExecuteRequest) Emitter(executor execution.ExecutorInfo) *Emitter {
	return NewEmitter(r.Store, r.ExecutionID, executor, WithBlock(r.Block), WithSequence(r.Sequence))
}

// Emitter reads the execution's log and returns an Emitter positioned at
// its end, together with the log's projection, so the adapter can decide
// how to continue: a terminal state needs nothing (resume is a no-op);
// otherwise Begin assigns the execution to this executor (recording
// `started` only if the log lacks it) and the work continues.
func (r ResumeRequest) Emitter(ctx context.Context, executor execution.ExecutorInfo) (*Emitter, execution.BlockExecution, error) {
	e := NewEmitter(r.Store, r.ExecutionID, executor, WithBlock(r.Block))
	b, err := e.Sync(ctx)
	return e, b, err
}

// Emitter returns an Emitter for the execution to cancel.
func (r CancelRequest) Emitter(executor execution.ExecutorInfo) *Emitter {
	return NewEmitter(r.Store, r.ExecutionID, executor)
}

// System, Agent and Human name the executor an Emitter records.
func System(identifier string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: identifier}
}

// Agent names an AI agent executor; see System.
func Agent(identifier string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: identifier}
}

// Human names a person as executor; see System.
func Human(identifier string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: identifier}
}

// ExecutionID returns the execution the Emitter writes to.
func (e *Emitter) ExecutionID() uuid.UUID { return e.executionID }

// Sequence returns the last sequence the Emitter saw (0 while unknown).
func (e *Emitter) Sequence() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seq
}

// Terminal returns the terminal event recorded for the execution as far as
// the Emitter knows, or "".
func (e *Emitter) Terminal() execution.EventType {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.terminal
}

// Sync re-reads the execution's log, adopts its last sequence and state
// (after a conflict, or to resume) and returns its projection.
func (e *Emitter) Sync(ctx context.Context) (execution.BlockExecution, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.syncLocked(ctx)
}

func (e *Emitter) syncLocked(ctx context.Context) (execution.BlockExecution, error) {
	events, err := e.store.Events(ctx, e.executionID, 0)
	if err != nil {
		return execution.BlockExecution{}, fmt.Errorf("read execution %s: %w", e.executionID, err)
	}
	if len(events) == 0 {
		return execution.BlockExecution{}, fmt.Errorf("read execution %s: %w", e.executionID, store.ErrNotFound)
	}
	b, err := execution.ProjectBlock(events)
	if err != nil {
		return b, fmt.Errorf("read execution %s: %w", e.executionID, err)
	}
	e.seq = events[len(events)-1].Sequence
	e.stale = false
	e.terminal = ""
	e.started = false
	for i := range events {
		switch t := events[i].EventType; {
		case t == execution.EventStarted:
			e.started = true
		case t.IsTerminal() && e.terminal == "":
			e.terminal = t
		}
	}
	cur := b.Executor()
	e.assigned = cur != nil && cur.Type == e.executor.Type && cur.Identifier == e.executor.Identifier
	e.produced = map[string]bool{}
	for port := range b.Outputs() {
		e.produced[port] = true
	}
	return b, nil
}

// step is one event to record.
type step struct {
	typ      execution.EventType
	payload  any
	metadata map[string]any
}

// Assign records that this executor holds the execution.
func (e *Emitter) Assign(ctx context.Context) error {
	return e.emit(ctx, step{typ: execution.EventExecutorAssigned})
}

// Release records that this executor lets go of the execution (a handoff,
// a shutdown); reason says why.
func (e *Emitter) Release(ctx context.Context, reason string) error {
	return e.emit(ctx, step{typ: execution.EventExecutorReleased, payload: map[string]string{"reason": reason}})
}

// Start records that work began.
func (e *Emitter) Start(ctx context.Context) error {
	return e.emit(ctx, step{typ: execution.EventStarted})
}

// Begin assigns the execution to this executor and starts it, in one
// append, leaving out what the log already has (a resumed execution that
// had started is only re-assigned). Nothing is appended when both hold.
func (e *Emitter) Begin(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.refreshLocked(ctx); err != nil {
		return err
	}
	return e.appendLocked(ctx, e.beginSteps()...)
}

// refreshLocked re-reads the log if the last append's fate is unknown, so
// that steps are chosen from what the log really holds.
func (e *Emitter) refreshLocked(ctx context.Context) error {
	if !e.stale {
		return nil
	}
	if _, err := e.syncLocked(ctx); err != nil {
		return fmt.Errorf("emit for execution %s: %w", e.executionID, err)
	}
	return nil
}

func (e *Emitter) beginSteps() []step {
	var steps []step
	if !e.assigned {
		steps = append(steps, step{typ: execution.EventExecutorAssigned})
	}
	if !e.started {
		steps = append(steps, step{typ: execution.EventStarted})
	}
	return steps
}

// Progress records an intermediate update; payload is any JSON value.
// During Run, it is a checkpoint (CheckpointProgress): an error of the
// run's Checkpoints is returned, and the work must then return at once.
//
// Progress during Run records the start first if it is not recorded yet
// (Run may not have recorded it while it gave short work a chance to end
// first): progress means the work is under way.
func (e *Emitter) Progress(ctx context.Context, payload any) error {
	run, err := e.progress(ctx, payload)
	if err != nil || run == nil {
		return err
	}
	return run.checkpoint(ctx, CheckpointProgress)
}

func (e *Emitter) progress(ctx context.Context, payload any) (*activeRun, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var steps []step
	if e.run != nil {
		if err := e.refreshLocked(ctx); err != nil {
			return nil, err
		}
		steps = e.beginSteps()
	}
	steps = append(steps, step{typ: execution.EventProgress, payload: payload})
	return e.run, e.appendLocked(ctx, steps...)
}

// Output records produced outputs (output port → value). A port the block
// does not declare is refused with ErrUndeclaredOutput and nothing is
// appended.
func (e *Emitter) Output(ctx context.Context, outputs map[string]any) error {
	if err := e.checkDeclared(outputs); err != nil {
		return err
	}
	return e.emit(ctx, step{typ: execution.EventOutcomeProduced, payload: execution.Outcome(outputs)})
}

// Complete records success. If a required output was never produced, it
// records `failed` instead (code "missing_output", naming the ports) and
// returns an error matching ErrMissingOutput.
func (e *Emitter) Complete(ctx context.Context) error {
	return e.Finish(ctx, nil)
}

// Finish records the outputs and success in one append, beginning the
// execution first if it has not begun (so instantaneous work costs a single
// append). Undeclared ports are refused with ErrUndeclaredOutput and nothing
// is appended; missing required outputs fail the block as Complete does.
func (e *Emitter) Finish(ctx context.Context, outputs map[string]any) error {
	if err := e.checkDeclared(outputs); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.refreshLocked(ctx); err != nil {
		return err
	}
	steps := e.beginSteps()
	if len(outputs) > 0 {
		steps = append(steps, step{typ: execution.EventOutcomeProduced, payload: execution.Outcome(outputs)})
	}
	missing := e.missingLocked(outputs)
	if len(missing) == 0 {
		return e.appendLocked(ctx, append(steps, step{typ: execution.EventCompleted})...)
	}
	failure := execution.Failure{
		Reason:  fmt.Sprintf("%s: required output %s not produced", e.blockName(), quoteList(missing)),
		Code:    "missing_output",
		Details: map[string]any{"missing": missing},
	}
	if err := e.appendLocked(ctx, append(steps, step{typ: execution.EventFailed, payload: failure})...); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrMissingOutput, failure.Reason)
}

// Fail records that the block failed; code is a short machine-readable
// cause ("exit_status", "bad_input", …), reason says what went wrong.
func (e *Emitter) Fail(ctx context.Context, code, reason string) error {
	return e.FailWith(ctx, execution.Failure{Code: code, Reason: reason})
}

// FailWith records a failure with details.
func (e *Emitter) FailWith(ctx context.Context, f execution.Failure) error {
	if f.Reason == "" {
		f.Reason = "block failed without a reason"
	}
	return e.emit(ctx, step{typ: execution.EventFailed, payload: f})
}

// FailErr records err as the failure (see FailureOf).
func (e *Emitter) FailErr(ctx context.Context, err error) error {
	return e.FailWith(ctx, FailureOf(err))
}

// Skip records that the block was deliberately not run.
func (e *Emitter) Skip(ctx context.Context, reason string) error {
	return e.emit(ctx, step{typ: execution.EventSkipped, payload: execution.Failure{Reason: reason, Code: "skipped"}})
}

// Cancel records that the execution was aborted.
func (e *Emitter) Cancel(ctx context.Context, reason string) error {
	if reason == "" {
		reason = "cancelled"
	}
	return e.emit(ctx, step{typ: execution.EventCancelled, payload: execution.Failure{Reason: reason, Code: "cancelled"}})
}

func (e *Emitter) emit(ctx context.Context, s step) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.appendLocked(ctx, s)
}

// appendLocked records steps in one append, expecting the last sequence
// seen, and updates what the Emitter knows from the stored events.
func (e *Emitter) appendLocked(ctx context.Context, steps ...step) error {
	if len(steps) == 0 {
		return nil
	}
	if err := e.refreshLocked(ctx); err != nil {
		return err
	}
	if e.terminal != "" {
		for _, s := range steps {
			if s.metadata[execution.MetadataAdministrative] != true {
				return fmt.Errorf("emit %s for execution %s: %w (it ended %s)", s.typ, e.executionID, store.ErrFinal, e.terminal)
			}
		}
	}
	events := make([]execution.Event, len(steps))
	now := e.now().UTC()
	size := 0
	for i, s := range steps {
		payload, err := execution.MarshalPayload(s.payload)
		if err != nil {
			return fmt.Errorf("emit %s for execution %s: %w", s.typ, e.executionID, err)
		}
		size += len(payload)
		if err := checkPayloadSize("the "+describeSteps(steps)+" of "+e.blockName(), size); err != nil {
			return err
		}
		executor := e.executor
		events[i] = execution.Event{
			ID:          uuid.New(),
			Timestamp:   now,
			ExecutionID: e.executionID,
			EventType:   s.typ,
			Executor:    &executor,
			Payload:     payload,
			Metadata:    s.metadata,
		}
	}
	var opts store.AppendOptions
	if e.seq > 0 {
		opts = store.ExpectSequence(e.seq)
	}
	stored, err := e.store.Append(ctx, events, opts)
	if err != nil {
		if !definitive(err) {
			// The append may have landed or not (a cancelled call, a lost
			// connection): learn which from the log before appending again.
			e.stale = true
		}
		return fmt.Errorf("emit %s for execution %s: %w", describeSteps(steps), e.executionID, err)
	}
	for _, ev := range stored {
		if ev.ExecutionID != e.executionID {
			return fmt.Errorf("emit for execution %s: store answered with an event of %s: %w", e.executionID, ev.ExecutionID, ErrWrongExecution)
		}
		e.observe(ev)
	}
	return nil
}

// observe updates the Emitter's view with one stored event.
func (e *Emitter) observe(ev execution.Event) {
	e.seq = ev.Sequence
	switch t := ev.EventType; {
	case t == execution.EventExecutorAssigned:
		e.assigned = true
	case t == execution.EventExecutorReleased:
		e.assigned = false
	case t == execution.EventStarted:
		e.started = true
	case t == execution.EventOutcomeProduced:
		var o execution.Outcome
		if ev.DecodePayload(&o) == nil {
			for port := range o {
				e.produced[port] = true
			}
		}
	case t.IsTerminal() && e.terminal == "":
		e.terminal = t
	}
}

// checkDeclared refuses outputs on ports the block does not declare.
func (e *Emitter) checkDeclared(outputs map[string]any) error {
	if e.block == nil || len(outputs) == 0 {
		return nil
	}
	var undeclared []string
	for port := range outputs {
		if _, ok := e.block.Output(port); !ok {
			undeclared = append(undeclared, port)
		}
	}
	if len(undeclared) == 0 {
		return nil
	}
	slices.Sort(undeclared)
	declared := make([]string, len(e.block.Outputs))
	for i, p := range e.block.Outputs {
		declared[i] = p.Name
	}
	return fmt.Errorf("%w: %s has no output %s (declares: %s)",
		ErrUndeclaredOutput, e.blockName(), quoteList(undeclared), strings.Join(declared, ", "))
}

// missingLocked lists required outputs that neither the log nor outputs
// provide.
func (e *Emitter) missingLocked(outputs map[string]any) []string {
	if e.block == nil {
		return nil
	}
	var missing []string
	for _, p := range e.block.Outputs {
		if !p.Required || e.produced[p.Name] {
			continue
		}
		if _, ok := outputs[p.Name]; !ok {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

func (e *Emitter) blockName() string {
	if e.block == nil {
		return "block execution " + e.executionID.String()
	}
	return e.block.Describe()
}

func describeSteps(steps []step) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = string(s.typ)
	}
	return strings.Join(names, "+")
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// definitive reports whether a failed append certainly stored nothing: the
// store refused it. Any other failure leaves the outcome unknown.
func definitive(err error) bool {
	for _, sentinel := range []error{store.ErrConflict, store.ErrFinal, store.ErrInvalid, store.ErrNotFound, store.ErrClosed, ErrTooLarge} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}
