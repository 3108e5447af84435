package llmstub

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/sdk"
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
// Its block lifecycle is sdk.BlockAdapter's: the model is deterministic,
// so the work is idempotent and a resumed block is asked again — with the
// same answer — unless it finished or runs in this process.
type Adapter struct {
	*sdk.BlockAdapter
	model  Model
	faults *fault.Injector
	ports  sdk.Ports
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
	a := &Adapter{model: opts.Model, faults: opts.Faults}
	a.BlockAdapter = &sdk.BlockAdapter{
		Info:       sdk.Info{Name: Name, Version: Version, Hints: append([]string(nil), Hints...), Conditions: true},
		Executor:   executor,
		Idempotent: true,
		Prepare:    a.prepare,
		Work:       a.work,
	}
	return a
}

// prepare checks the block's settings and returns its fault plan.
func (a *Adapter) prepare(ctx context.Context, job sdk.Job) (sdk.Checkpoints, error) {
	where := sdk.Where(job.Block, job.Node)
	if _, err := parseSettings(request(job)); err != nil {
		return nil, sdk.Failf("bad_metadata", "%s: %v", where, err)
	}
	spec, err := fault.FromMetadata(job.Block.Metadata, job.Node.Metadata)
	if err != nil {
		return nil, sdk.Failf("bad_metadata", "%s: %v", where, err)
	}
	return a.faults.Plan(spec, job.ExecutionID, job.Attempt, sdk.Logger(ctx)), nil
}

func request(job sdk.Job) Request {
	return Request{Block: job.Block, Node: job.Node, Inputs: job.Inputs, Attempt: max(job.Attempt, 1)}
}

// work asks the model, streaming its tokens as progress events.
func (a *Adapter) work(ctx context.Context, job sdk.Job) (map[string]any, error) {
	r := request(job)
	var streamErr error
	resp, err := a.model.Generate(ctx, r, func(c Chunk) {
		if streamErr == nil {
			streamErr = job.Emitter.Progress(ctx, map[string]any{"type": "llm_stream", "token": c.Index, "of": c.Total, "text": c.Text})
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
