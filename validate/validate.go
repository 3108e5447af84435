package validate

import (
	"errors"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// Resolver finds the definitions a flow or contract pins. *core.Catalog is
// one. A nil Resolver skips the checks that need the referenced definitions
// (existence, ports, assessment flows' terminal nodes, transitive cycles).
type Resolver interface {
	WorkBlock(id uuid.UUID, version int) (*core.WorkBlock, bool)
	Flow(id uuid.UUID, version int) (*core.Flow, bool)
	Contract(id uuid.UUID, version int) (*core.Contract, bool)
}

// Option adjusts a validation.
type Option func(*config)

type config struct {
	compiler        *condition.Compiler
	source          core.Source
	assessment      bool
	requireRunnable bool
}

// WithCompiler makes validation compile predicates with c instead of a
// compiler of its own, so repeated validations share c's program cache.
func WithCompiler(c *condition.Compiler) Option { return func(o *config) { o.compiler = c } }

// WithSource names the file (and line) the entity being validated came
// from, for the errors of WorkBlock, Flow, PortMappings, Contract and
// Runnable. Catalog takes each entity's source from the catalog.
func WithSource(src core.Source) Option { return func(o *config) { o.source = src } }

// AsAssessment makes Flow also enforce invariant 1: the flow must have
// exactly one terminal node, as every assessment flow must.
func AsAssessment() Option { return func(o *config) { o.assessment = true } }

// RequireRunnable makes Flow and Catalog also apply Runnable to every flow.
func RequireRunnable() Option { return func(o *config) { o.requireRunnable = true } }

// errNothing is returned for a nil definition: a caller's mistake, reported
// rather than panicking.
var errNothing = core.ErrorList{{Message: "nothing to validate: the definition is nil"}}

// Errors returns the problems in err: the ErrorList a validation returned,
// or a one-element list for a single *core.FieldError, or nil when err holds
// neither.
func Errors(err error) core.ErrorList {
	var list core.ErrorList
	if errors.As(err, &list) {
		return list
	}
	var fe *core.FieldError
	if errors.As(err, &fe) {
		return core.ErrorList{fe}
	}
	return nil
}

// WorkBlock checks one block on its own: id, version and name are set, and
// port names are present and unique within the inputs and within the
// outputs.
func WorkBlock(b *core.WorkBlock, opts ...Option) error {
	if b == nil {
		return errNothing
	}
	c := newChecker(nil, opts)
	c.workBlock(b, c.cfg.source)
	return c.errs.Err()
}

// Flow checks one flow: its header, node ids (invariant 4) and aliases,
// pinned block versions (invariant 2) and, with a Resolver, that they
// exist; edges (invariant 5) and their conditions; and port mappings
// (invariant 9, see PortMappings). With AsAssessment it also checks
// invariant 1; with RequireRunnable it also applies Runnable.
func Flow(f *core.Flow, blocks Resolver, opts ...Option) error {
	if f == nil {
		return errNothing
	}
	c := newChecker(blocks, opts)
	c.flow(f, c.cfg.source)
	return c.errs.Err()
}

// PortMappings checks invariant 9 alone: every mapping names ports that
// exist — an output of the source node's block and an input of the target
// node's block — no port name is empty and no target port is fed twice by
// one edge. Entry edges' source ports name flow inputs, which are free; their
// target ports are checked. Nodes whose block cannot be resolved are skipped
// (Flow reports them).
func PortMappings(f *core.Flow, blocks Resolver, opts ...Option) error {
	if f == nil {
		return errNothing
	}
	c := newChecker(blocks, opts)
	rep := c.reporter(f.Describe(), c.cfg.source)
	idx := c.indexFlow(f, nil)
	c.portMappings(f, idx, rep)
	return c.errs.Err()
}

// Contract checks one contract: its header; that work flows, sub-contracts,
// assessment and test flows pin versions (invariant 2) and, with a
// Resolver, exist; that it does not include itself through its
// sub-contracts (invariant 3); that required outcomes have unique ids and
// names; that every binding names one of this contract's required outcomes;
// and that every assessment flow has exactly one terminal node (invariant 1).
func Contract(k *core.Contract, r Resolver, opts ...Option) error {
	if k == nil {
		return errNothing
	}
	c := newChecker(r, opts)
	c.contract(k, c.cfg.source)
	c.contractCycles([]*core.Contract{k}, true)
	return c.errs.Err()
}

// Runnable checks what the host needs beyond the spec before it runs a
// flow: at least one node and one entry edge, every node reachable from an
// entry edge, and no cycle whose edges are all unconditional. Cycles are
// loops, bounded by max_iterations; one that no condition can leave only
// ends at that bound, in failure. Edges that name unknown nodes are
// ignored here; Flow reports them.
func Runnable(f *core.Flow, opts ...Option) error {
	if f == nil {
		return errNothing
	}
	c := newChecker(nil, opts)
	rep := c.reporter(f.Describe(), c.cfg.source)
	c.runnable(f, c.indexFlow(f, nil), rep)
	return c.errs.Err()
}

// Catalog checks every entity of cat as WorkBlock, Flow and Contract do,
// resolving references inside cat, plus invariant 3 across all contracts.
// Errors carry each entity's source file and line. With RequireRunnable
// every flow must also pass Runnable. AsAssessment does not apply: the
// catalog's bindings say which flows are assessment flows.
func Catalog(cat *core.Catalog, opts ...Option) error {
	if cat == nil {
		return nil // an empty catalog holds nothing invalid
	}
	c := newChecker(cat, opts)
	c.cfg.assessment = false
	c.versions = indexVersions(cat)
	for _, b := range cat.WorkBlocks() {
		c.workBlock(b, cat.Source(core.KindWorkBlock, b.Ref()))
	}
	for _, f := range cat.Flows() {
		c.flow(f, cat.Source(core.KindFlow, f.Ref()))
	}
	contracts := cat.Contracts()
	for _, k := range contracts {
		c.contract(k, cat.Source(core.KindContract, k.Ref()))
	}
	c.sourceOf = func(k *core.Contract) core.Source { return cat.Source(core.KindContract, k.Ref()) }
	c.contractCycles(contracts, false)
	return c.errs.Err()
}
