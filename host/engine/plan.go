package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
)

// Sentinel errors of starting an execution.
var (
	// ErrNotRunnable: the definition cannot run (a cycle, a missing block,
	// a bad retry policy or condition). The error lists every problem.
	ErrNotRunnable = errors.New("definition cannot run")
	// ErrCycle: a flow's edges form a cycle. It is also an ErrNotRunnable.
	ErrCycle = errors.New("flow has a cycle")
)

// flowPlan is what the engine precomputes once per flow version: the graph
// in topological order, resolved blocks, retry policies and compiled
// conditions. Definitions are immutable once in the catalog, so a plan
// never goes stale.
type flowPlan struct {
	flow      *core.Flow
	order     []int // node indices, topological
	nodeIndex map[uuid.UUID]int
	blocks    []*core.WorkBlock
	incoming  [][]int // per node: edge indices targeting it, in definition order
	retry     []retryPolicy
	programs  []*condition.Program // per edge; nil unless the condition has a predicate
	terminals []int                // node indices
	keys      []string             // per node: its key in a flow's outputs
	labels    []string             // per node: how messages name it
	flowVars  map[string]any
	source    []map[string]any // per node: the CEL "source" variable
}

// buildPlan checks that f can run and plans it. Every problem is reported,
// each naming the flow (and its file) and the field.
func buildPlan(cat *core.Catalog, cel *condition.Compiler, f *core.Flow) (*flowPlan, error) {
	p := &flowPlan{
		flow:      f,
		nodeIndex: make(map[uuid.UUID]int, len(f.Nodes)),
		blocks:    make([]*core.WorkBlock, len(f.Nodes)),
		incoming:  make([][]int, len(f.Nodes)),
		retry:     make([]retryPolicy, len(f.Nodes)),
		programs:  make([]*condition.Program, len(f.Edges)),
		keys:      make([]string, len(f.Nodes)),
		labels:    make([]string, len(f.Nodes)),
		source:    make([]map[string]any, len(f.Nodes)),
		flowVars:  condition.FlowVars(f),
	}
	where := core.Describe(core.KindFlow, f.Name, f.Version)
	if src := cat.Source(core.KindFlow, f.Ref()); src.File != "" {
		where = src.File + ": " + where
	}
	var errs []error
	fail := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", where, path, fmt.Sprintf(format, args...)))
	}
	for i, n := range f.Nodes {
		if _, dup := p.nodeIndex[n.ID]; dup {
			fail(fmt.Sprintf("nodes[%d].id", i), "%s is used by two nodes", n.ID)
			continue
		}
		p.nodeIndex[n.ID] = i
		b, ok := cat.WorkBlock(n.TargetID, n.TargetVersion)
		if !ok {
			fail(fmt.Sprintf("nodes[%d]", i), "block %s v%d is not in the catalog", n.TargetID, n.TargetVersion)
			p.labels[i] = nodeLabel(n, nil)
			continue
		}
		p.blocks[i] = b
		p.labels[i] = nodeLabel(n, b)
		p.source[i] = condition.SourceVars(b, n)
		policy, err := retryFor(n, b)
		if err != nil {
			fail(fmt.Sprintf("nodes[%d] (%s).metadata.%s", i, p.labels[i], MetadataRetry), "%v", err)
		}
		p.retry[i] = policy
	}
	for i, e := range f.Edges {
		if _, ok := p.nodeIndex[e.TargetID]; !ok {
			fail(fmt.Sprintf("edges[%d].target_id", i), "%s is not a node of the flow", e.TargetID)
			continue
		}
		if !e.IsEntry() {
			if _, ok := p.nodeIndex[e.SourceID]; !ok {
				fail(fmt.Sprintf("edges[%d].source_id", i), "%s is not a node of the flow", e.SourceID)
				continue
			}
		}
		t := p.nodeIndex[e.TargetID]
		p.incoming[t] = append(p.incoming[t], i)
		if e.Condition != nil && len(e.Condition.Predicate) > 0 {
			prog, err := cel.Compile(e.Condition.Predicate)
			if err != nil {
				fail(fmt.Sprintf("edges[%d].condition.predicate", i), "%v", err)
			}
			p.programs[i] = prog
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrNotRunnable, errors.Join(errs...))
	}
	if err := p.sortTopologically(); err != nil {
		return nil, fmt.Errorf("%w: %s: edges: %w", ErrNotRunnable, where, err)
	}
	for _, id := range f.TerminalNodes() {
		p.terminals = append(p.terminals, p.nodeIndex[id])
	}
	p.assignKeys()
	return p, nil
}

func retryFor(n core.NodeReference, b *core.WorkBlock) (retryPolicy, error) {
	if _, ok := n.Metadata[MetadataRetry]; ok {
		return parseRetry(n.Metadata)
	}
	return parseRetry(b.Metadata)
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

// sortTopologically orders the nodes so every edge goes forward (Kahn's
// algorithm, stable in definition order), or reports a cycle with its path.
func (p *flowPlan) sortTopologically() error {
	n := len(p.flow.Nodes)
	indegree := make([]int, n)
	out := make([][]int, n)
	for _, e := range p.flow.Edges {
		if e.IsEntry() {
			continue
		}
		s, t := p.nodeIndex[e.SourceID], p.nodeIndex[e.TargetID]
		out[s] = append(out[s], t)
		indegree[t]++
	}
	ready := []int{}
	for i := range n {
		if indegree[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		p.order = append(p.order, i)
		for _, t := range out[i] {
			if indegree[t]--; indegree[t] == 0 {
				ready = append(ready, t)
			}
		}
	}
	if len(p.order) == n {
		return nil
	}
	return fmt.Errorf("%w: %s; flows with cycles cannot run (loops are not designed yet)", ErrCycle, p.cyclePath(indegree))
}

// cyclePath renders one cycle among the nodes Kahn's algorithm left over.
// Every left-over node has a left-over predecessor, so walking backwards
// from one must meet a node twice; that loop, reversed, is a cycle.
func (p *flowPlan) cyclePath(indegree []int) string {
	in := make([][]int, len(p.flow.Nodes))
	for _, e := range p.flow.Edges {
		if !e.IsEntry() {
			s, t := p.nodeIndex[e.SourceID], p.nodeIndex[e.TargetID]
			in[t] = append(in[t], s)
		}
	}
	seen := map[int]int{}
	var path []int
	i := slices.IndexFunc(indegree, func(d int) bool { return d > 0 })
	for {
		if at, ok := seen[i]; ok {
			loop := append(path[at:], i)
			slices.Reverse(loop)
			names := make([]string, len(loop))
			for j, k := range loop {
				names[j] = p.labels[k]
			}
			return strings.Join(names, " → ")
		}
		seen[i] = len(path)
		path = append(path, i)
		prev := slices.IndexFunc(in[i], func(s int) bool { return indegree[s] > 0 })
		if prev < 0 { // cannot happen, see above
			return p.labels[i]
		}
		i = in[i][prev]
	}
}

// assignKeys names each node in a flow's outputs: its alias, else its
// block's name when no other node shares it, else the node id.
func (p *flowPlan) assignKeys() {
	names := map[string]int{}
	for i, n := range p.flow.Nodes {
		if n.Alias == "" && p.blocks[i] != nil {
			names[p.blocks[i].Name]++
		}
	}
	for i, n := range p.flow.Nodes {
		switch {
		case n.Alias != "":
			p.keys[i] = n.Alias
		case p.blocks[i] != nil && names[p.blocks[i].Name] == 1:
			p.keys[i] = p.blocks[i].Name
		default:
			p.keys[i] = n.ID.String()
		}
	}
}
