package build

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// ContractBuilder assembles a core.Contract: work flows and sub-contracts
// on the work side, required outcomes and their assessments on the other.
type ContractBuilder struct {
	contract  core.Contract
	flows     []core.Flow     // every flow referenced, one per (id, version)
	contracts []core.Contract // every sub-contract, one per (id, version)
	bindings  []pendingBinding
	opts      []validate.Option
	mistakes
}

// pendingBinding is an assessment whose outcome name is resolved when
// Build runs.
type pendingBinding struct {
	call    string
	outcome string
	binding core.AssessmentBinding
	// flows the binding's options referenced, registered by Build.
	flows []core.Flow
}

// Contract starts a contract named name, version 1, with a fresh id.
func Contract(name string) *ContractBuilder {
	return &ContractBuilder{contract: core.Contract{ID: uuid.New(), Version: 1, Name: name}}
}

// ID sets the contract's id.
func (c *ContractBuilder) ID(id uuid.UUID) *ContractBuilder { c.contract.ID = id; return c }

// Version sets the contract's version.
func (c *ContractBuilder) Version(v int) *ContractBuilder { c.contract.Version = v; return c }

// Description sets what the contract commits to, in words.
func (c *ContractBuilder) Description(text string) *ContractBuilder {
	c.contract.Description = text
	return c
}

// Meta sets one metadata entry of the contract.
func (c *ContractBuilder) Meta(key string, value any) *ContractBuilder {
	if c.contract.Metadata == nil {
		c.contract.Metadata = core.Metadata{}
	}
	c.contract.Metadata[key] = value
	return c
}

// Validate adds options for the validation Build runs.
func (c *ContractBuilder) Validate(opts ...validate.Option) *ContractBuilder {
	c.opts = append(c.opts, opts...)
	return c
}

// RefOption adjusts a reference to a flow or sub-contract.
type RefOption func(alias *string, meta *core.Metadata)

// Alias labels a reference, to tell apart two references to one flow.
func Alias(alias string) RefOption { return func(a *string, _ *core.Metadata) { *a = alias } }

// RefMeta sets one metadata entry of a reference.
func RefMeta(key string, value any) RefOption {
	return func(_ *string, m *core.Metadata) {
		if *m == nil {
			*m = core.Metadata{}
		}
		(*m)[key] = value
	}
}

func flowRef(f core.Flow, opts []RefOption) core.FlowReference {
	r := core.FlowReference{FlowID: f.ID, FlowVersion: f.Version}
	for _, o := range opts {
		o(&r.Alias, &r.Metadata)
	}
	return r
}

// WorkFlow adds a flow to the work side, pinned at f's version.
func (c *ContractBuilder) WorkFlow(f core.Flow, opts ...RefOption) *ContractBuilder {
	if err := c.addFlow(f); err != nil {
		c.add("WorkFlow(%s): %v", f.Describe(), err)
		return c
	}
	c.contract.WorkFlows = append(c.contract.WorkFlows, flowRef(f, opts))
	return c
}

// SubContract adds a nested contract to the work side, pinned at k's
// version.
func (c *ContractBuilder) SubContract(k core.Contract, opts ...RefOption) *ContractBuilder {
	if err := register(&c.contracts, k, (*core.Contract).Ref, (*core.Contract).Clone); err != nil {
		c.add("SubContract(%s): %v", k.Describe(), err)
		return c
	}
	r := core.ContractReference{ContractID: k.ID, ContractVersion: k.Version}
	for _, o := range opts {
		o(&r.Alias, &r.Metadata)
	}
	c.contract.SubContracts = append(c.contract.SubContracts, r)
	return c
}

// OutcomeOption adjusts a required outcome.
type OutcomeOption func(*core.RequiredOutcome)

// OutcomeID sets the outcome's id instead of a fresh random one.
func OutcomeID(id uuid.UUID) OutcomeOption { return func(o *core.RequiredOutcome) { o.ID = id } }

// OutcomeMeta sets one metadata entry of the outcome.
func OutcomeMeta(key string, value any) OutcomeOption {
	return func(o *core.RequiredOutcome) {
		if o.Metadata == nil {
			o.Metadata = core.Metadata{}
		}
		o.Metadata[key] = value
	}
}

// Outcome declares a required outcome, which Assess refers to by name.
func (c *ContractBuilder) Outcome(name, description string, opts ...OutcomeOption) *ContractBuilder {
	o := core.RequiredOutcome{ID: uuid.New(), Name: name, Description: description}
	for _, opt := range opts {
		opt(&o)
	}
	c.contract.RequiredOutcomes = append(c.contract.RequiredOutcomes, o)
	return c
}

// BindingOption adjusts an assessment declared with Assess.
type BindingOption func(*pendingBinding)

// TestFlow adds a test flow whose terminal outputs feed the assessment
// flow's entry inputs.
func TestFlow(f core.Flow, opts ...RefOption) BindingOption {
	return func(p *pendingBinding) {
		p.binding.TestFlowRefs = append(p.binding.TestFlowRefs, flowRef(f, opts))
		p.flows = append(p.flows, f)
	}
}

// BindingMeta sets one metadata entry of the assessment binding.
func BindingMeta(key string, value any) BindingOption {
	return func(p *pendingBinding) {
		if p.binding.Metadata == nil {
			p.binding.Metadata = core.Metadata{}
		}
		p.binding.Metadata[key] = value
	}
}

// Assess binds the required outcome named outcome to the assessment flow
// that judges it (which must have exactly one terminal node).
func (c *ContractBuilder) Assess(outcome string, assessment core.Flow, opts ...BindingOption) *ContractBuilder {
	p := pendingBinding{
		call:    fmt.Sprintf("Assess(%q, %s)", outcome, assessment.Describe()),
		outcome: outcome,
		binding: core.AssessmentBinding{AssessmentFlowID: assessment.ID, AssessmentFlowVersion: assessment.Version},
		flows:   []core.Flow{assessment},
	}
	for _, o := range opts {
		o(&p)
	}
	c.bindings = append(c.bindings, p)
	return c
}

func (c *ContractBuilder) addFlow(f core.Flow) error {
	return register(&c.flows, f, (*core.Flow).Ref, (*core.Flow).Clone)
}

// register remembers v for validation, refusing a different definition
// under an (id, version) already seen: (id, version) is immutable (§2.5).
func register[T any](seen *[]T, v T, ref func(*T) core.Ref, clone func(*T) T) error {
	for i := range *seen {
		prev := &(*seen)[i]
		if ref(prev) != ref(&v) {
			continue
		}
		if !reflect.DeepEqual(*prev, v) {
			return fmt.Errorf("a different definition with id %s and version %d was added before; a changed definition needs a new version number", ref(&v).ID, ref(&v).Version)
		}
		return nil
	}
	*seen = append(*seen, clone(&v))
	return nil
}

// Build resolves the assessments' outcome names and returns the contract
// with the result of validate.Contract on it (against the flows and
// sub-contracts given), plus every builder mistake.
func (c *ContractBuilder) Build() (core.Contract, error) {
	out := c.contract.Clone()
	out.AssessmentBindings = make([]core.AssessmentBinding, 0, len(c.bindings))
	m := mistakes{list: slices.Clone(c.list)}
	bindingCalls := make([]string, 0, len(c.bindings))
	for _, p := range c.bindings {
		flowsOK := true
		for _, f := range p.flows {
			if err := c.addFlow(f); err != nil {
				m.add("%s: %s: %v", p.call, f.Describe(), err)
				flowsOK = false
			}
		}
		id, ok := c.outcomeID(&m, p)
		if !ok || !flowsOK {
			continue
		}
		b := p.binding
		b.RequiredOutcomeID = id
		out.AssessmentBindings = append(out.AssessmentBindings, b)
		bindingCalls = append(bindingCalls, p.call)
	}
	out = out.Clone() // bindings share nothing with the builder
	cat := core.NewCatalog()
	for _, f := range c.flows {
		_ = cat.AddFlow(f, core.Source{}) // register kept (id, version) unique
	}
	for _, k := range c.contracts {
		_ = cat.AddContract(k, core.Source{})
	}
	calls := map[string][]string{"assessment_bindings": bindingCalls}
	return out, m.result(out.Describe(), validate.Contract(&out, cat, c.opts...), calls)
}

func (c *ContractBuilder) outcomeID(m *mistakes, p pendingBinding) (uuid.UUID, bool) {
	names := make([]string, len(c.contract.RequiredOutcomes))
	for i, o := range c.contract.RequiredOutcomes {
		if o.Name == p.outcome {
			return o.ID, true
		}
		names[i] = o.Name
	}
	m.add("%s: no required outcome is named %q (outcomes: %s)", p.call, p.outcome, quoted(names))
	return uuid.Nil, false
}
