package llmstub

import (
	"context"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

// Model is what the adapter asks: the stub answers from fixtures, rules
// and templates; a real provider can implement the same two calls.
type Model interface {
	// Generate produces a block's outputs (output port → value). It calls
	// stream with each chunk of its answer as the chunk arrives, from the
	// calling goroutine. An error built with sdk.Failf fails the block with
	// its code; ctx ends the generation early.
	Generate(ctx context.Context, req Request, stream func(Chunk)) (Response, error)
	// Judge decides a condition that has only a description.
	Judge(ctx context.Context, q Question) (Verdict, error)
}

// Request is one block for the model to do.
type Request struct {
	Block   core.WorkBlock
	Node    core.NodeReference
	Inputs  map[string]any
	Attempt int
}

// Response is the model's answer to a Request.
type Response struct {
	Outputs map[string]any
	// Source says where the answer came from, e.g. `fixtures.yaml:
	// blocks["Ticket Triage"][0]` or "template", for error messages and
	// the log.
	Source string
}

// Chunk is one piece of a streamed answer: token Index of Total.
type Chunk struct {
	Index, Total int
	Text         string
}

// Question is a description-only condition to judge.
type Question struct {
	Description string
	Context     sdk.ConditionContext
	// Metadata is the condition's own metadata.
	Metadata core.Metadata
}

// Verdict is the model's decision and why.
type Verdict struct {
	Value  bool
	Reason string
}
