package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
	"github.com/openoma/openoma/store"
)

// Errors of Rerun, besides ErrUnknownDefinition and store.ErrNotFound.
var (
	// ErrNotEnded: the execution to rerun is still running; only an
	// ended one can be rerun (cancel it first).
	ErrNotEnded = errors.New("execution has not ended")
	// ErrUnknownNode: a --from alias names no node of the flow.
	ErrUnknownNode = errors.New("no such node")
	// ErrNothingToRerun: nothing failed or was cancelled, and no node was
	// named to run again.
	ErrNothingToRerun = decide.ErrNothingToRerun
)

// RerunOptions say what a rerun changes: the nodes to run again besides
// the failed ones (by alias), and inputs that replace the old run's.
type RerunOptions struct {
	From   []string
	Inputs map[string]any
	// Check, when set, is asked about the new execution's flow (or
	// contract) and inputs before anything is recorded (the host's
	// preflight); its error refuses the rerun.
	Check func(f *core.Flow, k *core.Contract, inputs map[string]any) error
}

// Rerun starts a new execution of the same flow version as the ended flow
// execution id, with its inputs (o.Inputs replacing some), that claims the
// runs of id which completed (or were skipped) and are not downstream of a
// failed or cancelled node or of a node of o.From, and runs the rest
// (§5.5; decide.PlanRerun says which). The claims are recorded with the new
// execution's created event in one atomic append, so no decision ever sees
// it without them; id's log and its block executions are never changed. A
// running execution gives ErrNotEnded; an alias that names no node,
// ErrUnknownNode; nothing to run again, ErrNothingToRerun — all before
// anything is recorded.
func (e *Engine) Rerun(ctx context.Context, id uuid.UUID, o RerunOptions, opts ...StartOption) (uuid.UUID, error) {
	info, err := e.store.Execution(ctx, id)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	if info.Kind != execution.KindFlow && info.Kind != execution.KindContract {
		return uuid.Nil, fmt.Errorf("rerun %s: it is a %s execution; rerun its flow execution: %w", id, info.Kind, ErrNotRunnable)
	}
	if !info.Terminal {
		return uuid.Nil, fmt.Errorf("rerun %s: %w: it is still running; cancel it first, or wait for it to end", id, ErrNotEnded)
	}
	if info.Kind == execution.KindContract {
		return e.rerunContract(ctx, id, o, opts)
	}
	v, err := e.readView(ctx, id, true)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	if v == nil {
		return uuid.Nil, fmt.Errorf("rerun %s: empty log: %w", id, store.ErrNotFound)
	}
	if v.plan == nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w: %w", id, ErrUnknownDefinition, v.planErr)
	}
	var from []int
	for _, alias := range o.From {
		n := slices.Index(v.plan.keys, alias)
		if n < 0 {
			return uuid.Nil, fmt.Errorf("rerun %s: --from %q: %w in flow %q v%d; its nodes are %s",
				id, alias, ErrUnknownNode, v.plan.flow.Name, v.plan.flow.Version, strings.Join(v.plan.keys, ", "))
		}
		from = append(from, n)
	}
	inputs := maps.Clone(v.created.Inputs)
	if inputs == nil && len(o.Inputs) > 0 {
		inputs = map[string]any{}
	}
	maps.Copy(inputs, o.Inputs)
	if o.Check != nil {
		if err := o.Check(v.plan.flow, nil, inputs); err != nil {
			return uuid.Nil, err
		}
	}
	var so startOptions
	for _, opt := range opts {
		opt(&so)
	}
	newID := so.id
	if newID == uuid.Nil {
		newID = uuid.New()
	}
	r, err := decide.PlanRerun(v.plan.Plan, v.decided, newID, from)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	first := func(newID uuid.UUID) []execution.Event { return e.flowRerunEvents(newID, r) }
	return e.start(ctx, execution.Created{
		Kind: execution.KindFlow, FlowID: v.created.FlowID, FlowVersion: v.created.FlowVersion, Inputs: inputs,
		Role: execution.RoleWork, RerunOf: id,
	}, append(opts, WithExecutionID(newID), func(o *startOptions) { o.first = first }))
}

// ErrBadClaim: a flow execution offered to a contract cannot count toward
// it (not completed, not one of its work flows).
var ErrBadClaim = errors.New("cannot claim")

// claimWorkFlows reads the flow executions offered to a new execution of k
// and assigns each to a work flow (decide.ClaimWorkFlows).
func (e *Engine) claimWorkFlows(ctx context.Context, k *core.Contract, ids []uuid.UUID) ([]execution.ExecutionClaim, error) {
	var candidates []decide.Candidate
	for _, id := range ids {
		events, err := e.store.Events(ctx, id, 0)
		if err != nil {
			return nil, fmt.Errorf("--claim %s: %w", id, err)
		}
		if len(events) == 0 {
			return nil, fmt.Errorf("--claim %s: %w", id, store.ErrNotFound)
		}
		created, err := execution.CreatedOf(events)
		if err != nil {
			return nil, fmt.Errorf("--claim %s: %w", id, err)
		}
		if created.Kind != execution.KindFlow {
			return nil, fmt.Errorf("--claim %s: %w: it is a %s execution, not a flow execution", id, ErrBadClaim, created.Kind)
		}
		c := decide.Candidate{ID: id, FlowID: created.FlowID, FlowVersion: created.FlowVersion, State: execution.StateInProgress}
		if end, ok := ended(events); ok {
			c.State = execution.StateOf(end.EventType)
		}
		candidates = append(candidates, c)
	}
	claims, err := decide.ClaimWorkFlows(e.catalog, k, candidates)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadClaim, err)
	}
	return claims, nil
}

// claimEvents records a contract execution's claims with its created event.
func claimEvents(e *Engine, claims []execution.ExecutionClaim) func(uuid.UUID) []execution.Event {
	return func(id uuid.UUID) []execution.Event {
		var events []execution.Event
		for _, c := range claims {
			events = append(events, e.hostEvent(id, fmt.Sprintf("claim/%s/%d", c.Slot, c.Index), execution.EventProgress, c))
		}
		return events
	}
}

// rerunContract starts a new execution of an ended contract execution's
// contract version that claims its completed work flows and sub-contracts
// (decide.PlanContractRerun) and runs the rest, then every assessment.
func (e *Engine) rerunContract(ctx context.Context, id uuid.UUID, o RerunOptions, opts []StartOption) (uuid.UUID, error) {
	if len(o.From) > 0 {
		return uuid.Nil, fmt.Errorf("rerun %s: --from names nodes of a flow; a contract execution reruns what did not complete: %w", id, ErrUnknownNode)
	}
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	cl, err := readContractLog(events)
	if err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	k, ok := e.catalog.Contract(cl.created.ContractID, cl.created.ContractVersion)
	if !ok {
		return uuid.Nil, fmt.Errorf("rerun %s: %w: contract %s v%d is not in the catalog", id, ErrUnknownDefinition, cl.created.ContractID, cl.created.ContractVersion)
	}
	if err := e.checkContract(k, nil); err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	v := &decide.ContractView{ID: id, Children: map[uuid.UUID]decide.Child{}, Claimed: cl.claimed}
	if err := e.readChildren(ctx, v, k); err != nil {
		return uuid.Nil, fmt.Errorf("rerun %s: %w", id, err)
	}
	inputs := maps.Clone(cl.created.Inputs)
	if inputs == nil && len(o.Inputs) > 0 {
		inputs = map[string]any{}
	}
	maps.Copy(inputs, o.Inputs)
	if o.Check != nil {
		if err := o.Check(nil, k, inputs); err != nil {
			return uuid.Nil, err
		}
	}
	claims := decide.PlanContractRerun(k, v)
	return e.start(ctx, execution.Created{
		Kind: execution.KindContract, ContractID: k.ID, ContractVersion: k.Version, Inputs: inputs, RerunOf: id,
	}, append(opts, func(o *startOptions) { o.first = claimEvents(e, claims) }))
}

// flowRerunEvents are the events a flow rerun records with its created
// event: its claims, and the decisions it carries over.
func (e *Engine) flowRerunEvents(newID uuid.UUID, r decide.Rerun) []execution.Event {
	var events []execution.Event
	for _, c := range r.Claims {
		events = append(events, e.hostEvent(newID, fmt.Sprintf("claim/%s/%d", c.NodeReferenceID, c.Iteration), execution.EventProgress, c))
	}
	for _, d := range r.Decisions {
		events = append(events, e.hostEvent(newID, "decision/"+d.RequestID.String(), execution.EventProgress, d))
	}
	return events
}

// childRerunEvents are the claims of a contract rerun's child that reruns
// the old contract's child created.RerunOf (which did not complete): for a
// flow what completed in it, for a sub-contract its completed work. The
// old child has ended, so they are the same whenever they are computed —
// a contract reconcile repeated after a crash appends the same events.
func (e *Engine) childRerunEvents(ctx context.Context, newID uuid.UUID, created execution.Created) ([]execution.Event, error) {
	old := created.RerunOf
	if created.Kind == execution.KindContract {
		events, err := e.store.Events(ctx, old, 0)
		if err != nil {
			return nil, err
		}
		cl, err := readContractLog(events)
		if err != nil {
			return nil, err
		}
		k, ok := e.catalog.Contract(cl.created.ContractID, cl.created.ContractVersion)
		if !ok {
			return nil, nil // it runs afresh; its reconcile names what is missing
		}
		v := &decide.ContractView{ID: old, Children: map[uuid.UUID]decide.Child{}, Claimed: cl.claimed}
		if err := e.readChildren(ctx, v, k); err != nil {
			return nil, err
		}
		return claimEvents(e, decide.PlanContractRerun(k, v))(newID), nil
	}
	v, err := e.readView(ctx, old, true)
	if err != nil || v == nil || v.plan == nil {
		return nil, err
	}
	r, err := decide.PlanRerun(v.plan.Plan, v.decided, newID, nil)
	if errors.Is(err, decide.ErrNothingToRerun) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.flowRerunEvents(newID, r), nil
}
