package llmstub

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/google/uuid"

	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/internal/lifecycle"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Name and Version identify the plugin.
const (
	Name    = "llm-stub"
	Version = "1.0.0"
)

// Hints are the execution hints the plugin serves: "agent" and "llm", and
// "*" so a host may route any hint to it (a catch-all for offline runs).
// Which hints actually go to it is the host configuration's choice.
var Hints = []string{"agent", "llm", "*"}

// executor is who the plugin records as the executor of its events.
var executor = sdk.Agent(Name)

// Options adjust New.
type Options struct {
	// Model answers blocks and conditions; NewStub(Config{}) when nil.
	Model Model
	// Faults performs fault injection; fault.FromEnv(os.Getenv) when nil.
	Faults *fault.Injector
}

// Adapter runs blocks by asking a Model, and judges description-only
// conditions with it (structured predicates with sdk.EvaluatePredicate).
type Adapter struct {
	model  Model
	faults *fault.Injector
	tasks  sdk.Tasks
	ports  lifecycle.Ports
}

var (
	_ sdk.Adapter    = (*Adapter)(nil)
	_ sdk.Shutdowner = (*Adapter)(nil)
)

// New returns an llm-stub adapter.
func New(opts Options) *Adapter {
	if opts.Model == nil {
		opts.Model = NewStub(Config{})
	}
	if opts.Faults == nil {
		opts.Faults = fault.FromEnv(os.Getenv)
	}
	return &Adapter{model: opts.Model, faults: opts.Faults}
}

// Describe names the plugin, its hints, and that it judges conditions.
func (a *Adapter) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: Name, Version: Version, Hints: append([]string(nil), Hints...), Conditions: true}, nil
}

// ExecuteBlock asks the model in the background and returns.
func (a *Adapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	r := Request{Block: req.Block, Node: req.Node, Inputs: req.Inputs, Attempt: max(req.Attempt, 1)}
	a.start(ctx, req.Emitter(executor), req.ExecutionID, r, false)
	return req.ExecutionID, nil
}

// ResumeBlock asks the model again — it is deterministic, so the answer is
// the same — unless the execution finished or runs in this process.
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
	cur := b.Executor()
	held := cur != nil && cur.Type == executor.Type && cur.Identifier == executor.Identifier
	a.start(ctx, em, req.ExecutionID, Request{Block: req.Block, Node: req.Node, Inputs: b.Inputs(), Attempt: b.Attempt()}, held)
	return nil
}

// CancelBlock stops a running generation, or records the cancellation of
// an execution that does not run here; a finished one stays as it is.
func (a *Adapter) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	if a.tasks.Cancel(req.ExecutionID, req.Reason) {
		return nil
	}
	em := req.Emitter(executor)
	for range 3 {
		err := em.Cancel(ctx, req.Reason)
		switch {
		case err == nil, errors.Is(err, store.ErrFinal):
			return nil
		case !errors.Is(err, store.ErrConflict):
			return err
		}
		b, err := em.Sync(ctx)
		if err != nil {
			return err
		}
		if b.State.IsTerminal() {
			return nil
		}
	}
	return fmt.Errorf("cancel execution %s: the log kept changing", req.ExecutionID)
}

// Shutdown stops running generations and releases their executions for
// the next plugin process to resume.
func (a *Adapter) Shutdown(ctx context.Context) error { return a.tasks.Shutdown(ctx) }

func (a *Adapter) start(ctx context.Context, em *sdk.Emitter, id uuid.UUID, r Request, held bool) {
	a.tasks.Go(ctx, id, func(ctx context.Context) {
		if err := a.run(ctx, em, id, r, held); err != nil && !errors.Is(err, fault.ErrCrashed) {
			sdk.Logger(ctx).Error("recording the block's outcome failed", "error", err)
		}
	})
}

func (a *Adapter) run(ctx context.Context, em *sdk.Emitter, id uuid.UUID, r Request, held bool) error {
	where := lifecycle.Where(r.Block, r.Node)
	if _, err := parseSettings(r); err != nil {
		return em.FailErr(ctx, sdk.Failf("bad_metadata", "%s: %v", where, err))
	}
	spec, err := fault.FromMetadata(r.Block.Metadata, r.Node.Metadata)
	if err != nil {
		return em.FailErr(ctx, sdk.Failf("bad_metadata", "%s: %v", where, err))
	}
	if err := a.ports.CheckInputs(r.Block, r.Inputs); err != nil {
		return em.FailErr(ctx, err)
	}
	plan := a.faults.Plan(spec, id, r.Attempt, sdk.Logger(ctx))
	return lifecycle.Run(ctx, em, plan, held, func(ctx context.Context, progress lifecycle.ProgressFunc) (map[string]any, error) {
		var streamErr error
		resp, err := a.model.Generate(ctx, r, func(c Chunk) {
			if streamErr == nil {
				streamErr = progress(ctx, map[string]any{"type": "llm_stream", "token": c.Index, "of": c.Total, "text": c.Text})
			}
		})
		if errors.Is(streamErr, fault.ErrCrashed) {
			return nil, streamErr
		}
		if err != nil {
			return nil, err
		}
		source := "answer (" + resp.Source + ")"
		if err := a.ports.CheckOutputs(r.Block, resp.Outputs, "the model's "+source); err != nil {
			return nil, err
		}
		return resp.Outputs, nil
	})
}

// EvaluateCondition evaluates a structured predicate with the sdk's CEL
// helper, and asks the model to judge a description-only condition.
func (a *Adapter) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
	if len(req.Condition.Predicate) > 0 {
		v, err := sdk.EvaluatePredicate(ctx, req.Condition, req.Context)
		if err != nil {
			return sdk.ConditionResult{}, fmt.Errorf("condition %q: %w", req.Condition.Description, err)
		}
		return sdk.ConditionResult{Value: v, Reason: "predicate evaluated"}, nil
	}
	if req.Condition.Description == "" {
		return sdk.ConditionResult{}, fmt.Errorf("condition %s: %w: it has neither a predicate nor a description", req.RequestID, sdk.ErrMalformedRequest)
	}
	v, err := a.model.Judge(ctx, Question{Description: req.Condition.Description, Context: req.Context, Metadata: req.Condition.Metadata})
	if err != nil {
		return sdk.ConditionResult{}, fmt.Errorf("condition %q: %w", req.Condition.Description, err)
	}
	return sdk.ConditionResult{Value: v.Value, Reason: v.Reason}, nil
}
