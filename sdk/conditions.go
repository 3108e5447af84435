package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// sharedCompiler is built on first use and shared: building a CEL
// environment costs milliseconds, and the compiler caches compiled
// programs, so every predicate a plugin sees compiles once.
var sharedCompiler = sync.OnceValues(func() (*condition.Compiler, error) { return condition.NewCompiler() })

// EvaluatePredicate evaluates a condition's structured predicate
// ({"cel": "<expression>"}) over cc, with the same CEL environment the host
// and the validator use (package condition): the expression sees inputs
// (cc.FlowInputs), outputs (cc.SourceOutputs), source (cc.Source) and flow
// (cc.Flow). A condition without a predicate gives ErrNoPredicate — a
// person or an agent must judge it; a predicate in another format, one that
// does not compile, or one that fails gives an error wrapping the matching
// condition sentinel (condition.ErrUnknownFormat, ErrCompile, ErrEvaluate,
// ErrNotBool). It never answers false for a predicate it cannot judge.
func EvaluatePredicate(ctx context.Context, cond core.Condition, cc ConditionContext) (bool, error) {
	if len(cond.Predicate) == 0 {
		return false, fmt.Errorf("%w (description: %q)", ErrNoPredicate, cond.Description)
	}
	compiler, err := sharedCompiler()
	if err != nil {
		return false, err
	}
	prog, err := compiler.Compile(cond.Predicate)
	if err != nil {
		return false, err
	}
	return prog.Eval(ctx, condition.Vars{
		Inputs:  cc.FlowInputs,
		Outputs: cc.SourceOutputs,
		Source:  cc.Source,
		Flow:    cc.Flow,
	})
}

// Decide records a decision that EvaluateCondition deferred (answered
// Pending): a condition_decision progress event on the flow execution's
// log, carrying the request id, which the host is waiting for. Call it with
// the request the decision answers, whenever the decision is made — within
// this process's lifetime; the host re-asks after a plugin restart.
func (r ConditionRequest) Decide(ctx context.Context, value bool, reason string, by execution.ExecutorInfo) error {
	if r.Store == nil {
		return fmt.Errorf("decide condition %s: %w: the host sent no store", r.RequestID, ErrMalformedRequest)
	}
	if r.FlowExecutionID == uuid.Nil {
		return fmt.Errorf("decide condition %s: %w: no flow execution", r.RequestID, ErrMalformedRequest)
	}
	decidedBy := by
	ev, err := execution.NewEvent(r.FlowExecutionID, execution.EventProgress, &decidedBy, execution.ConditionDecision{
		Type:              execution.ProgressConditionDecision,
		RequestID:         r.RequestID,
		EdgeIndex:         r.EdgeIndex,
		SourceExecutionID: r.SourceExecutionID,
		Value:             value,
		Reason:            reason,
		DecidedBy:         &decidedBy,
	})
	if err != nil {
		return fmt.Errorf("decide condition %s: %w", r.RequestID, err)
	}
	// No expected sequence: a flow execution's log has many writers, and a
	// decision is keyed by its request id, not by its position.
	if _, err := r.Store.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
		return fmt.Errorf("decide condition %s: %w", r.RequestID, err)
	}
	return nil
}
