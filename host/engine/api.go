package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Sentinel errors of the engine's API.
var (
	// ErrUnknownDefinition: no flow or contract matches the reference.
	ErrUnknownDefinition = errors.New("no such definition")
	// ErrEnded: the execution already reached a terminal state.
	ErrEnded = errors.New("execution has already ended")
)

// StartOption adjusts StartFlow and StartContract.
type StartOption func(*startOptions)

type startOptions struct {
	id uuid.UUID
	// first gives the events recorded with the created event, in the same
	// atomic append (a rerun's claims): no decision ever sees the new
	// execution without them.
	first func(id uuid.UUID) []execution.Event
	// claims are completed flow executions a new contract execution counts
	// as work flows (WithClaims).
	claims []uuid.UUID
}

// WithClaims makes a new contract execution count each completed flow
// execution given as one of its work flows (the first of its flow version
// not yet claimed) instead of running that work flow (§5.5). A flow
// execution that is not completed, or fits no work flow, refuses the
// start before anything is recorded.
func WithClaims(flowExecutions ...uuid.UUID) StartOption {
	return func(o *startOptions) { o.claims = append(o.claims, flowExecutions...) }
}

// WithExecutionID makes the new execution use id instead of a random one.
// Starting twice with the same id starts one execution: a client that
// retries a submission it is unsure about uses it.
func WithExecutionID(id uuid.UUID) StartOption { return func(o *startOptions) { o.id = id } }

// StartFlow records a new execution of a flow, named as people write it
// ("Name", "Name@3", "<uuid>", "<uuid>@3"; without a version, the latest),
// and returns its id once its created event is stored. A flow that cannot
// run (a missing block, a bad metadata extension or condition) is
// refused before anything is recorded.
func (e *Engine) StartFlow(ctx context.Context, ref string, inputs map[string]any, opts ...StartOption) (uuid.UUID, error) {
	f, err := e.catalog.LookupFlow(ref)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: %w", ErrUnknownDefinition, err)
	}
	if _, err := e.planByRef(f.ID, f.Version); err != nil {
		return uuid.Nil, err
	}
	return e.start(ctx, execution.Created{
		Kind: execution.KindFlow, FlowID: f.ID, FlowVersion: f.Version, Inputs: inputs, Role: execution.RoleWork,
	}, opts)
}

// StartContract records a new execution of a contract; see StartFlow. Its
// run inputs go to every work flow, sub-contract and test flow, and to the
// assessment flows. Every flow it may run, down its sub-contracts, is
// checked first.
func (e *Engine) StartContract(ctx context.Context, ref string, inputs map[string]any, opts ...StartOption) (uuid.UUID, error) {
	k, err := e.catalog.LookupContract(ref)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: %w", ErrUnknownDefinition, err)
	}
	if err := e.checkContract(k, nil); err != nil {
		return uuid.Nil, err
	}
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.claims) > 0 {
		claims, err := e.claimWorkFlows(ctx, k, o.claims)
		if err != nil {
			return uuid.Nil, err
		}
		opts = append(opts, func(o *startOptions) { o.first = claimEvents(e, claims) })
	}
	return e.start(ctx, execution.Created{
		Kind: execution.KindContract, ContractID: k.ID, ContractVersion: k.Version, Inputs: inputs,
	}, opts)
}

func (e *Engine) start(ctx context.Context, created execution.Created, opts []StartOption) (uuid.UUID, error) {
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	id := o.id
	if id == uuid.Nil {
		id = uuid.New()
	}
	e.remember(id, execMeta{kind: created.Kind})
	events := []execution.Event{e.hostEvent(id, "created", execution.EventCreated, created)}
	if o.first != nil {
		events = append(events, o.first(id)...)
	}
	if _, err := e.appendEvents(ctx, events...); err != nil {
		e.forget(id)
		return uuid.Nil, fmt.Errorf("recording the new %s execution: %w", created.Kind, err)
	}
	e.queue.Add(id)
	return id, nil
}

// checkContract checks that every flow k runs can run, that every
// assessment flow has exactly one terminal node (invariant 1) and that no
// contract includes itself (invariant 3).
func (e *Engine) checkContract(k *core.Contract, path []core.Ref) error {
	where := core.Describe(core.KindContract, k.Name, k.Version)
	for _, r := range path {
		if r == k.Ref() {
			return fmt.Errorf("%w: %s includes itself as a sub-contract", ErrNotRunnable, where)
		}
	}
	path = append(path, k.Ref())
	var errs []error
	check := func(field string, id uuid.UUID, version int, assessment bool) {
		p, err := e.planByRef(id, version)
		switch {
		case err != nil && p == nil && !errors.Is(err, ErrNotRunnable):
			errs = append(errs, fmt.Errorf("%w: %s: %s: %w", ErrNotRunnable, where, field, err))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %s: %w", where, field, err))
		case assessment && len(p.terminals) != 1:
			errs = append(errs, fmt.Errorf("%w: %s: %s: assessment flow %q v%d has %d terminal nodes, want exactly one",
				ErrNotRunnable, where, field, p.flow.Name, p.flow.Version, len(p.terminals)))
		}
	}
	for i, r := range k.WorkFlows {
		check(fmt.Sprintf("work_flows[%d]", i), r.FlowID, r.FlowVersion, false)
	}
	for j, b := range k.AssessmentBindings {
		if _, ok := k.RequiredOutcome(b.RequiredOutcomeID); !ok {
			errs = append(errs, fmt.Errorf("%w: %s: assessment_bindings[%d].required_outcome_id: %s is not a required outcome of the contract",
				ErrNotRunnable, where, j, b.RequiredOutcomeID))
		}
		for t, r := range b.TestFlowRefs {
			check(fmt.Sprintf("assessment_bindings[%d].test_flow_refs[%d]", j, t), r.FlowID, r.FlowVersion, false)
		}
		check(fmt.Sprintf("assessment_bindings[%d].assessment_flow_id", j), b.AssessmentFlowID, b.AssessmentFlowVersion, true)
	}
	for i, r := range k.SubContracts {
		sub, ok := e.catalog.Contract(r.ContractID, r.ContractVersion)
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %s: sub_contracts[%d]: contract %s v%d is not in the catalog",
				ErrNotRunnable, where, i, r.ContractID, r.ContractVersion))
			continue
		}
		if err := e.checkContract(sub, path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Cancel stops an execution. For a flow or contract it records a cancel
// request; the engine then cancels what runs in it and ends it cancelled.
// For a block execution it asks the block's plugin (or, failing that,
// records the cancellation itself), which cancels its flow in turn. An
// execution that already ended gives ErrEnded.
func (e *Engine) Cancel(ctx context.Context, id uuid.UUID, reason string) error {
	info, err := e.store.Execution(ctx, id)
	if err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	if info.Terminal {
		return fmt.Errorf("cancel %s: %w", id, ErrEnded)
	}
	if reason == "" {
		reason = "cancelled on request"
	}
	if info.Kind != execution.KindBlock {
		if err := e.requestCancel(ctx, id, reason); err != nil {
			return fmt.Errorf("cancel %s: %w", id, err)
		}
		e.queue.Add(id)
		return nil
	}
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	plugin, _ := events[0].Metadata[MetadataPlugin].(string)
	if e.dispatch.dropQueued(id) {
		return e.recordCancel(ctx, id, reason+" (before it was dispatched)", "")
	}
	if err := e.askCancel(ctx, plugin, id, reason); err != nil {
		e.log.Warn("plugin could not cancel a block; the host records it", "block_execution", id, "error", err)
		return e.recordCancel(ctx, id, fmt.Sprintf("%s (plugin %q could not cancel it: %v)", reason, plugin, err), "")
	}
	e.confirmCancel(id, plugin, reason)
	return nil
}

// confirmCancel records the cancellation of a block itself when its plugin
// accepted the request but has not recorded it within the call timeout, so
// a cancel can never leave a block (and its flow) open for ever.
func (e *Engine) confirmCancel(id uuid.UUID, plugin, reason string) {
	ctx := e.runCtx
	if ctx == nil {
		return // not running: Recover's reconcile will meet the block again
	}
	e.async.Go(func() {
		t := time.NewTimer(e.callTimeout)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		info, err := e.store.Execution(ctx, id)
		if err != nil || info.Terminal {
			return
		}
		why := fmt.Sprintf("%s (plugin %q accepted but did not record it within %s)", reason, plugin, e.callTimeout)
		if err := e.recordCancel(ctx, id, why, ""); err != nil && !isFinal(err) && ctx.Err() == nil {
			e.log.Error("recording an unconfirmed cancellation", "block_execution", id, "error", err)
		}
	})
}

// Wait blocks until execution id ends (or ctx is done) and returns the
// state its terminal event records.
func (e *Engine) Wait(ctx context.Context, id uuid.UUID) (execution.State, error) {
	if _, err := e.store.Execution(ctx, id); err != nil {
		return "", fmt.Errorf("wait for %s: %w", id, err)
	}
	sub, err := e.store.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		return "", fmt.Errorf("wait for %s: %w", id, err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return "", fmt.Errorf("wait for %s: %w", id, err)
		}
		if ev.EventType.IsTerminal() {
			return execution.StateOf(ev.EventType), nil
		}
	}
}
