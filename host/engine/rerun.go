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
	// Check, when set, is asked about the new execution's flow and inputs
	// before anything is recorded (the host's preflight); its error
	// refuses the rerun.
	Check func(f *core.Flow, inputs map[string]any) error
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
	if info.Kind != execution.KindFlow {
		return uuid.Nil, fmt.Errorf("rerun %s: it is a %s execution; only flow executions can be rerun yet: %w", id, info.Kind, ErrNotRunnable)
	}
	if !info.Terminal {
		return uuid.Nil, fmt.Errorf("rerun %s: %w: it is still running; cancel it first, or wait for it to end", id, ErrNotEnded)
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
		if err := o.Check(v.plan.flow, inputs); err != nil {
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
	first := func(newID uuid.UUID) []execution.Event {
		var events []execution.Event
		for _, c := range r.Claims {
			events = append(events, e.hostEvent(newID, fmt.Sprintf("claim/%s/%d", c.NodeReferenceID, c.Iteration), execution.EventProgress, c))
		}
		for _, d := range r.Decisions {
			events = append(events, e.hostEvent(newID, "decision/"+d.RequestID.String(), execution.EventProgress, d))
		}
		return events
	}
	return e.start(ctx, execution.Created{
		Kind: execution.KindFlow, FlowID: v.created.FlowID, FlowVersion: v.created.FlowVersion, Inputs: inputs,
		Role: execution.RoleWork, RerunOf: id,
	}, append(opts, WithExecutionID(newID), func(o *startOptions) { o.first = first }))
}
