package decide

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// ErrNotRunnable: the definition cannot run (a missing block, a bad
// extension or condition). The error lists every problem.
var ErrNotRunnable = errors.New("definition cannot run")

// Plan is what the engine precomputes once per flow version: the graph with
// its back edges and a topological order of the rest, resolved blocks,
// effective metadata extensions and compiled conditions. Definitions are
// immutable once in the catalog, so a plan never goes stale.
type Plan struct {
	Flow      *core.Flow
	NodeIndex map[uuid.UUID]int
	Blocks    []*core.WorkBlock
	// Order lists node indices so every forward (non-back) edge goes
	// forward.
	Order []int
	// Incoming lists, per node, the edges targeting it in definition order;
	// Outgoing the edges leaving it.
	Incoming, Outgoing [][]int
	// Back marks, per edge, the edges that close a cycle: found by a
	// depth-first walk from the entry nodes in definition order, they are
	// the edges into a node still on the walk's path. The other edges form
	// a DAG.
	Back []bool
	// Cyclic is true when some edge is a back edge.
	Cyclic bool
	// EdgeSource and EdgeTarget are, per edge, its nodes' indices (source
	// -1 for an entry edge).
	EdgeSource, EdgeTarget []int
	// Ext is, per node, the extensions that apply to it (the flow's,
	// block's and node's metadata combined; MaxIterations always ≥ 1).
	Ext []core.Extensions
	// Programs are the compiled conditions, per edge; nil unless the
	// condition has a predicate.
	Programs []*condition.Program
	// Items are the compiled for_each item lists, per node; nil unless the
	// node has for_each.
	Items     []*condition.ListProgram
	Terminals []int    // node indices
	Keys      []string // per node: its key in a flow's outputs
	Labels    []string // per node: how messages name it
	FlowVars  map[string]any
	Source    []map[string]any // per node: the CEL "source" variable

	// scratchPool keeps the per-decision working memory of this plan's
	// decisions (a few hundred bytes per node), so deciding on a large flow
	// again and again does not make the garbage collector scan it anew.
	scratchPool sync.Pool
}

// scratch is one decision's working memory.
type scratch struct {
	runs  []nodeRun
	edges []edgeMemo
}

func (p *Plan) scratch(nodes, edges int) *scratch {
	s, _ := p.scratchPool.Get().(*scratch)
	if s == nil || len(s.runs) != nodes || len(s.edges) != edges {
		return &scratch{runs: make([]nodeRun, nodes), edges: make([]edgeMemo, edges)}
	}
	clear(s.runs)
	clear(s.edges)
	return s
}

// NewPlan checks that f can run and plans it. Every problem is reported,
// each naming the flow (and file, when file is not empty) and the field.
func NewPlan(cat *core.Catalog, cel *condition.Compiler, f *core.Flow, file string) (*Plan, error) {
	n := len(f.Nodes)
	p := &Plan{
		Flow:       f,
		NodeIndex:  make(map[uuid.UUID]int, n),
		Blocks:     make([]*core.WorkBlock, n),
		Incoming:   make([][]int, n),
		Outgoing:   make([][]int, n),
		Back:       make([]bool, len(f.Edges)),
		EdgeSource: make([]int, len(f.Edges)),
		EdgeTarget: make([]int, len(f.Edges)),
		Ext:        make([]core.Extensions, n),
		Programs:   make([]*condition.Program, len(f.Edges)),
		Items:      make([]*condition.ListProgram, n),
		Keys:       make([]string, n),
		Labels:     make([]string, n),
		Source:     make([]map[string]any, n),
		FlowVars:   condition.FlowVars(f),
	}
	where := core.Describe(core.KindFlow, f.Name, f.Version)
	if file != "" {
		where = file + ": " + where
	}
	var errs []error
	fail := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", where, path, fmt.Sprintf(format, args...)))
	}
	flowExt, err := core.ParseExtensions(f.Metadata, core.OnFlow, "metadata")
	if err != nil {
		fail("metadata", "%v", err)
	}
	for i, node := range f.Nodes {
		if _, dup := p.NodeIndex[node.ID]; dup {
			fail(fmt.Sprintf("nodes[%d].id", i), "%s is used by two nodes", node.ID)
			continue
		}
		p.NodeIndex[node.ID] = i
		b, ok := cat.WorkBlock(node.TargetID, node.TargetVersion)
		if !ok {
			fail(fmt.Sprintf("nodes[%d]", i), "block %s v%d is not in the catalog", node.TargetID, node.TargetVersion)
			p.Labels[i] = nodeLabel(node, nil)
			continue
		}
		p.Blocks[i] = b
		p.Labels[i] = nodeLabel(node, b)
		p.Source[i] = condition.SourceVars(b, node)
		path := fmt.Sprintf("nodes[%d] (%s)", i, p.Labels[i])
		blockExt, err := core.ParseExtensions(b.Metadata, core.OnBlock, "metadata")
		if err != nil {
			fail(path+": block "+b.Describe(), "%v", err)
		}
		nodeExt, err := core.ParseExtensions(node.Metadata, core.OnNode, "metadata")
		if err != nil {
			fail(path, "%v", err)
		}
		p.Ext[i] = core.EffectiveExtensions(flowExt, blockExt, nodeExt)
		if fe := p.Ext[i].ForEach; fe != nil {
			p.planForEach(cel, i, fe, func(format string, args ...any) { fail(path+".metadata.for_each", format, args...) })
		}
	}
	for i, e := range f.Edges {
		t, ok := p.NodeIndex[e.TargetID]
		if !ok {
			fail(fmt.Sprintf("edges[%d].target_id", i), "%s is not a node of the flow", e.TargetID)
			continue
		}
		p.EdgeSource[i], p.EdgeTarget[i] = -1, t
		if !e.IsEntry() {
			s, ok := p.NodeIndex[e.SourceID]
			if !ok {
				fail(fmt.Sprintf("edges[%d].source_id", i), "%s is not a node of the flow", e.SourceID)
				continue
			}
			p.Outgoing[s] = append(p.Outgoing[s], i)
			p.EdgeSource[i] = s
		}
		p.Incoming[t] = append(p.Incoming[t], i)
		if e.Condition != nil && len(e.Condition.Predicate) > 0 {
			prog, err := cel.Compile(e.Condition.Predicate)
			if err != nil {
				fail(fmt.Sprintf("edges[%d].condition.predicate", i), "%v", err)
			}
			p.Programs[i] = prog
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrNotRunnable, errors.Join(errs...))
	}
	p.findBackEdges()
	p.sortForward()
	for _, id := range f.TerminalNodes() {
		p.Terminals = append(p.Terminals, p.NodeIndex[id])
	}
	p.assignKeys()
	return p, nil
}

func (p *Plan) planForEach(cel *condition.Compiler, i int, fe *core.ForEach, fail func(string, ...any)) {
	prog, err := cel.CompileList(fe.Items)
	if err != nil {
		fail("items: %v", err)
	}
	p.Items[i] = prog
	for _, port := range p.Blocks[i].Inputs {
		if port.Name == fe.As {
			return
		}
	}
	names := make([]string, len(p.Blocks[i].Inputs))
	for k, port := range p.Blocks[i].Inputs {
		names[k] = port.Name
	}
	fail("as: %q is not an input port of block %s (its inputs: [%s])", fe.As, p.Blocks[i].Describe(), strings.Join(names, ", "))
}

// nodeLabel names a node in messages: its alias, else its block's name.
func nodeLabel(n core.NodeReference, b *core.WorkBlock) string {
	switch {
	case n.Alias != "":
		return fmt.Sprintf("node %q", n.Alias)
	case b != nil:
		return fmt.Sprintf("node %s (block %q)", n.ID, b.Name)
	}
	return fmt.Sprintf("node %s", n.ID)
}

// assignKeys names each node in a flow's outputs: its alias, else its
// block's name when no other node shares it, else the node id.
func (p *Plan) assignKeys() {
	names := map[string]int{}
	for i, n := range p.Flow.Nodes {
		if n.Alias == "" && p.Blocks[i] != nil {
			names[p.Blocks[i].Name]++
		}
	}
	for i, n := range p.Flow.Nodes {
		switch {
		case n.Alias != "":
			p.Keys[i] = n.Alias
		case p.Blocks[i] != nil && names[p.Blocks[i].Name] == 1:
			p.Keys[i] = p.Blocks[i].Name
		default:
			p.Keys[i] = n.ID.String()
		}
	}
}

// EdgeLabel names edge ei in messages.
func (p *Plan) EdgeLabel(ei int) string {
	target := p.Labels[p.EdgeTarget[ei]]
	if p.EdgeSource[ei] < 0 {
		return fmt.Sprintf("edges[%d] (entry → %s)", ei, target)
	}
	return fmt.Sprintf("edges[%d] (%s → %s)", ei, p.Labels[p.EdgeSource[ei]], target)
}
