package llmstub

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/openoma/openoma/sdk"
)

// Defaults of the simulated model.
const (
	DefaultLatency = time.Duration(0)
	DefaultTokens  = 3
)

// Stub is the deterministic Model: fixture responses by block, then
// TemplateOutputs for every port a fixture does not name; rules for
// conditions. It simulates latency and streams Tokens chunks over it.
type Stub struct {
	fixtures *Fixtures
	latency  time.Duration
	tokens   int
	// defaultCondition is the decision when no rule matches.
	defaultCondition bool
	source           string // where the default came from, for reasons
}

var _ Model = (*Stub)(nil)

// NewStub returns the stub model for cfg.
func NewStub(cfg Config) *Stub {
	f := cfg.Fixtures
	if f == nil {
		f = &Fixtures{}
	}
	s := &Stub{fixtures: f, latency: DefaultLatency, tokens: DefaultTokens, defaultCondition: true, source: "built-in default"}
	if f.Latency != nil {
		s.latency = f.Latency.Duration
	}
	if f.Tokens != nil {
		s.tokens = *f.Tokens
	}
	if f.Conditions.Default != nil {
		s.defaultCondition, s.source = *f.Conditions.Default, "conditions.default of "+f.Path
	}
	if cfg.Latency != nil {
		s.latency = *cfg.Latency
	}
	if cfg.Tokens != nil {
		s.tokens = *cfg.Tokens
	}
	if cfg.DefaultCondition != nil {
		s.defaultCondition, s.source = *cfg.DefaultCondition, "the plugin's --default-condition"
	}
	return s
}

// Generate answers from the first matching fixture case of the block
// ("Name@version" entries before "Name" ones), filling the ports it does
// not name from TemplateOutputs; a case with fail fails the block.
func (s *Stub) Generate(ctx context.Context, req Request, stream func(Chunk)) (Response, error) {
	c, source := s.match(req)
	latency, tokens := s.latency, s.tokens
	if c != nil && c.Latency != nil {
		latency = c.Latency.Duration
	}
	if c != nil && c.Tokens != nil {
		tokens = *c.Tokens
	}
	if o, ok := overrides(req); ok {
		if o.latency != nil {
			latency = *o.latency
		}
		if o.tokens != nil {
			tokens = *o.tokens
		}
	}
	if err := simulate(ctx, latency, tokens, stream); err != nil {
		return Response{}, err
	}
	if c != nil && c.Fail != nil {
		code := c.Fail.Code
		if code == "" {
			code = "model_error"
		}
		return Response{Source: source}, sdk.Failf(code, "%s (simulated by %s)", c.Fail.Reason, source)
	}
	outputs := TemplateOutputs(req.Block, req.Inputs)
	if c == nil {
		return Response{Outputs: outputs, Source: "template"}, nil
	}
	maps.Copy(outputs, c.Outputs)
	return Response{Outputs: outputs, Source: source}, nil
}

// match returns the first case for the block whose When matches its
// inputs, and where it is written.
func (s *Stub) match(req Request) (*Case, string) {
	text, _ := json.Marshal(req.Inputs)
	for _, key := range []string{fmt.Sprintf("%s@%d", req.Block.Name, req.Block.Version), req.Block.Name} {
		cases := s.fixtures.Blocks[key]
		for i := range cases {
			if cases[i].When.Matches(string(text)) {
				return &cases[i], fmt.Sprintf("%s: blocks[%q][%d]", s.fixtures.Path, key, i)
			}
		}
	}
	return nil, ""
}

// simulate waits latency, calling stream with tokens evenly spaced chunks.
func simulate(ctx context.Context, latency time.Duration, tokens int, stream func(Chunk)) error {
	if tokens <= 0 {
		return sleep(ctx, latency)
	}
	step := latency / time.Duration(tokens)
	for i := 1; i <= tokens; i++ {
		if err := sleep(ctx, step); err != nil {
			return err
		}
		if stream != nil {
			stream(Chunk{Index: i, Total: tokens, Text: fmt.Sprintf("thinking… token %d/%d", i, tokens)})
		}
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Judge applies the first rule whose description and context matchers
// match; without one it answers the configured default (true unless the
// fixtures or the plugin's flags say otherwise).
func (s *Stub) Judge(_ context.Context, q Question) (Verdict, error) {
	text, err := json.Marshal(map[string]any{
		"inputs": q.Context.FlowInputs, "outputs": q.Context.SourceOutputs,
		"source": q.Context.Source, "flow": q.Context.Flow, "metadata": q.Context.Metadata,
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("judge %q: encode the context: %w", q.Description, err)
	}
	for i := range s.fixtures.Conditions.Rules {
		r := &s.fixtures.Conditions.Rules[i]
		if r.Description.Matches(q.Description) && r.Context.Matches(string(text)) {
			reason := r.Reason
			if reason == "" {
				reason = fmt.Sprintf("matched %s: conditions.rules[%d]", s.fixtures.Path, i)
			}
			return Verdict{Value: r.Value, Reason: reason}, nil
		}
	}
	return Verdict{Value: s.defaultCondition, Reason: fmt.Sprintf("no rule matched %q; answered %v (%s)",
		strings.TrimSpace(q.Description), s.defaultCondition, s.source)}, nil
}
