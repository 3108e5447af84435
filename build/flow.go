package build

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// FlowBuilder assembles a core.Flow from blocks placed in slots under
// aliases, and edges between aliases.
type FlowBuilder struct {
	flow    core.Flow
	blocks  []core.WorkBlock // in the order added, one per distinct (id, version)
	aliases map[string]int   // alias → node position
	adds    []string         // the Add call behind each node
	edges   []pendingEdge
	opts    []validate.Option
	mistakes
}

// pendingEdge is an edge whose aliases are resolved when Build runs.
type pendingEdge struct {
	call     string // how the edge was declared, for error messages
	from, to string // from is "" for an entry edge
	edge     core.Edge
}

// Flow starts a flow named name, version 1, with a fresh id.
func Flow(name string) *FlowBuilder {
	return &FlowBuilder{flow: core.Flow{ID: uuid.New(), Version: 1, Name: name}, aliases: map[string]int{}}
}

// ID sets the flow's id.
func (f *FlowBuilder) ID(id uuid.UUID) *FlowBuilder { f.flow.ID = id; return f }

// Version sets the flow's version.
func (f *FlowBuilder) Version(v int) *FlowBuilder { f.flow.Version = v; return f }

// Description sets what the flow does, in words.
func (f *FlowBuilder) Description(text string) *FlowBuilder { f.flow.Description = text; return f }

// ExpectedOutcome declares what the flow is meant to achieve (an opaque
// value, spec §2.3.3).
func (f *FlowBuilder) ExpectedOutcome(v any) *FlowBuilder {
	f.flow.ExpectedOutcome = core.CloneValue(v)
	return f
}

// Meta sets one metadata entry of the flow.
func (f *FlowBuilder) Meta(key string, value any) *FlowBuilder {
	if f.flow.Metadata == nil {
		f.flow.Metadata = core.Metadata{}
	}
	f.flow.Metadata[key] = value
	return f
}

// Validate adds options for the validation Build runs, such as
// validate.AsAssessment() or validate.RequireRunnable().
func (f *FlowBuilder) Validate(opts ...validate.Option) *FlowBuilder {
	f.opts = append(f.opts, opts...)
	return f
}

// NodeOption adjusts a node added with Add.
type NodeOption func(*core.NodeReference)

// NodeID sets the node's id instead of a fresh random one.
func NodeID(id uuid.UUID) NodeOption { return func(n *core.NodeReference) { n.ID = id } }

// NodeMeta sets one metadata entry of the node.
func NodeMeta(key string, value any) NodeOption {
	return func(n *core.NodeReference) {
		if n.Metadata == nil {
			n.Metadata = core.Metadata{}
		}
		n.Metadata[key] = value
	}
}

// Add places block in a new slot of the flow, under alias, which edges use
// to refer to it. The same block may be added under several aliases (two
// slots, spec §2.3.1); each alias may be used once.
func (f *FlowBuilder) Add(block core.WorkBlock, alias string, opts ...NodeOption) *FlowBuilder {
	call := fmt.Sprintf("Add(%s, %q)", block.Describe(), alias)
	if alias == "" {
		f.add("%s: an alias is needed, so that edges can refer to the node", call)
		return f
	}
	if pos, dup := f.aliases[alias]; dup {
		prev := f.flow.Nodes[pos]
		f.add("%s: alias %q is already used by a node of %s", call, alias, f.blockDescription(prev))
		return f
	}
	if err := f.addBlock(block); err != nil {
		f.add("%s: %v", call, err)
		return f
	}
	node := core.NodeReference{ID: uuid.New(), TargetID: block.ID, TargetVersion: block.Version, Alias: alias}
	for _, o := range opts {
		o(&node)
	}
	f.aliases[alias] = len(f.flow.Nodes)
	f.flow.Nodes = append(f.flow.Nodes, node)
	f.adds = append(f.adds, call)
	return f
}

// addBlock remembers block for validation, refusing a different block
// under an (id, version) already seen: (id, version) is immutable (§2.5).
func (f *FlowBuilder) addBlock(block core.WorkBlock) error {
	for _, b := range f.blocks {
		if b.ID != block.ID || b.Version != block.Version {
			continue
		}
		if !reflect.DeepEqual(b, block) {
			return fmt.Errorf("another block with id %s and version %d was added before (%s); a new version needs a new version number", block.ID, block.Version, b.Describe())
		}
		return nil
	}
	f.blocks = append(f.blocks, block.Clone())
	return nil
}

func (f *FlowBuilder) blockDescription(n core.NodeReference) string {
	for _, b := range f.blocks {
		if b.ID == n.TargetID && b.Version == n.TargetVersion {
			return b.Describe()
		}
	}
	return fmt.Sprintf("block %s v%d", n.TargetID, n.TargetVersion)
}

// EdgeOption adjusts an edge declared with Edge or Entry.
type EdgeOption func(*core.Edge)

// When gives the edge a condition described in words, judged by a person
// or an agent unless CEL also gives it a predicate.
func When(description string) EdgeOption {
	return func(e *core.Edge) { condition(e).Description = description }
}

// CEL gives the edge a machine-evaluated condition, {"cel": expression};
// see package condition for the variables it may use.
func CEL(expression string) EdgeOption {
	return func(e *core.Edge) { condition(e).Predicate = map[string]any{"cel": expression} }
}

// Condition sets the edge's whole condition.
func Condition(c core.Condition) EdgeOption {
	return func(e *core.Edge) { cc := c.Clone(); e.Condition = &cc }
}

func condition(e *core.Edge) *core.Condition {
	if e.Condition == nil {
		e.Condition = &core.Condition{}
	}
	return e.Condition
}

// Map wires the source node's output port source to the target node's
// input port target (on an entry edge, source names a flow input).
func Map(source, target string) EdgeOption {
	return func(e *core.Edge) {
		e.PortMappings = append(e.PortMappings, core.PortMapping{SourcePort: source, TargetPort: target})
	}
}

// Edge connects the node under alias from to the node under alias to.
func (f *FlowBuilder) Edge(from, to string, opts ...EdgeOption) *FlowBuilder {
	return f.pending(fmt.Sprintf("Edge(%q, %q)", from, to), from, to, opts)
}

// Entry makes the node under alias to a starting point of the flow: an
// edge without a source, whose port mappings take the flow run's inputs.
func (f *FlowBuilder) Entry(to string, opts ...EdgeOption) *FlowBuilder {
	return f.pending(fmt.Sprintf("Entry(%q)", to), "", to, opts)
}

func (f *FlowBuilder) pending(call, from, to string, opts []EdgeOption) *FlowBuilder {
	var e core.Edge
	for _, o := range opts {
		o(&e)
	}
	f.edges = append(f.edges, pendingEdge{call: call, from: from, to: to, edge: e})
	return f
}

// Build resolves the edges' aliases and returns the flow with the result of
// validate.Flow on it (against the blocks added), plus every builder
// mistake.
func (f *FlowBuilder) Build() (core.Flow, error) {
	out := f.flow.Clone()
	out.Edges = make([]core.Edge, 0, len(f.edges))
	edgeCalls := make([]string, 0, len(f.edges))
	var m mistakes
	for _, p := range f.edges {
		e := p.edge
		ok := true
		if p.from != "" {
			e.SourceID, ok = f.nodeID(&m, p.call, p.from)
		}
		var okTo bool
		e.TargetID, okTo = f.nodeID(&m, p.call, p.to)
		if ok && okTo {
			out.Edges = append(out.Edges, cloneEdge(e))
			edgeCalls = append(edgeCalls, p.call)
		}
	}
	cat := core.NewCatalog()
	for _, b := range f.blocks {
		_ = cat.AddWorkBlock(b, core.Source{}) // addBlock kept (id, version) unique
	}
	all := mistakes{list: slices.Concat(f.list, m.list)}
	calls := map[string][]string{"nodes": f.adds, "edges": edgeCalls}
	return out, all.result(out.Describe(), validate.Flow(&out, cat, f.opts...), calls)
}

func (f *FlowBuilder) nodeID(m *mistakes, call, alias string) (uuid.UUID, bool) {
	pos, ok := f.aliases[alias]
	if !ok {
		known := make([]string, len(f.flow.Nodes))
		for i, n := range f.flow.Nodes {
			known[i] = n.Alias
		}
		m.add("%s: no node has the alias %q (aliases: %s)", call, alias, quoted(known))
		return uuid.Nil, false
	}
	return f.flow.Nodes[pos].ID, true
}

func cloneEdge(e core.Edge) core.Edge {
	if e.Condition != nil {
		c := e.Condition.Clone()
		e.Condition = &c
	}
	e.PortMappings = slices.Clone(e.PortMappings)
	return e
}
