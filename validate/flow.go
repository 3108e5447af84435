package validate

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// flowIndex is what the flow checks share, computed in one pass so that
// each id is looked up once: node positions by id, each node's resolved
// block (nil when unknown) and each edge's ends.
type flowIndex struct {
	byID   map[uuid.UUID]int
	blocks []*core.WorkBlock
	ends   []ends
	inputs *declaredInputs // see runInputs; nil until asked
}

// ends holds the node positions an edge joins; source is entry for an
// entry edge, and either is missing when the id names no node.
type ends struct{ source, target int }

const (
	missing = -1
	entry   = -2
)

// indexFlow maps node ids to their first position, resolves each node's
// block and each edge's ends. When r is not nil, node id problems are
// reported through it.
func (c *checker) indexFlow(f *core.Flow, r *reporter) *flowIndex {
	idx := &flowIndex{byID: make(map[uuid.UUID]int, len(f.Nodes)), blocks: make([]*core.WorkBlock, len(f.Nodes))}
	defer idx.resolveEdges(f)
	for i, n := range f.Nodes {
		if n.ID == uuid.Nil {
			if r != nil {
				r.add(at("nodes", i, "id"), "must be set to a UUID")
			}
		} else if j, dup := idx.byID[n.ID]; dup {
			if r != nil {
				r.add(at("nodes", i, "id"), "node id %s is already used by nodes[%d]; node ids must be unique within a flow", n.ID, j)
			}
		} else {
			idx.byID[n.ID] = i
		}
		if c.resolver != nil && n.TargetID != uuid.Nil && n.TargetVersion >= 1 {
			idx.blocks[i], _ = c.resolver.WorkBlock(n.TargetID, n.TargetVersion)
		}
	}
	return idx
}

func (idx *flowIndex) resolveEdges(f *core.Flow) {
	idx.ends = make([]ends, len(f.Edges))
	for i, e := range f.Edges {
		end := ends{source: entry, target: missing}
		if !e.IsEntry() {
			end.source = idx.position(e.SourceID)
		}
		if e.TargetID != uuid.Nil {
			end.target = idx.position(e.TargetID)
		}
		idx.ends[i] = end
	}
}

func (idx *flowIndex) position(id uuid.UUID) int {
	if pos, ok := idx.byID[id]; ok {
		return pos
	}
	return missing
}

// nodeLabel names node i for messages: its alias, else its block's name,
// else its position.
func (idx *flowIndex) nodeLabel(f *core.Flow, i int) string {
	if a := f.Nodes[i].Alias; a != "" {
		return fmt.Sprintf("%q", a)
	}
	if b := idx.blocks[i]; b != nil {
		return fmt.Sprintf("nodes[%d] (%q)", i, b.Name)
	}
	return fmt.Sprintf("nodes[%d]", i)
}

func (c *checker) flow(f *core.Flow, src core.Source) {
	r := c.reporter(f.Describe(), src)
	r.header(f.ID, f.Version, f.Name)
	idx := c.indexFlow(f, r)
	for i, n := range f.Nodes {
		c.pin(r, core.KindWorkBlock, n.TargetID, n.TargetVersion, "nodes", i, "target_id", "target_version")
	}
	r.unique(len(f.Nodes),
		func(i int) string { return f.Nodes[i].Alias },
		func(i int) string { return fmt.Sprintf("nodes[%d].alias", i) },
		"alias", "aliases in a flow", true)
	for i := range f.Edges {
		c.edge(r, f, idx, i)
	}
	c.portMappings(f, idx, r)
	c.flowExtensions(f, idx, r)
	if c.cfg.assessment {
		if terminals := f.TerminalNodes(); len(terminals) != 1 {
			r.add("nodes", "an assessment flow must have exactly one terminal node; this one has %s", describeTerminals(f, idx, terminals))
		}
	}
	if c.cfg.requireRunnable {
		c.runnable(f, idx, r)
	}
}

// edge checks invariant 5 and the condition of edge i.
func (c *checker) edge(r *reporter, f *core.Flow, idx *flowIndex, i int) {
	e, end := f.Edges[i], idx.ends[i]
	if end.source == missing {
		r.add(at("edges", i, "source_id"), "no node with id %s in this flow", e.SourceID)
	}
	switch {
	case e.TargetID == uuid.Nil:
		r.add(at("edges", i, "target_id"), "must name a node of this flow")
	case end.target == missing:
		r.add(at("edges", i, "target_id"), "no node with id %s in this flow", e.TargetID)
	}
	if e.Condition == nil {
		return
	}
	if e.Condition.Predicate == nil {
		if strings.TrimSpace(e.Condition.Description) == "" {
			r.add(at("edges", i, "condition"), "needs a description or a predicate (omit the condition for an unconditional edge)")
		}
		return
	}
	c.predicate(r, f, idx, i, e.Condition.Predicate)
}

// describeTerminals says how many terminal nodes a flow has and which:
// `2 ("verdict", "notify")` or `none`.
func describeTerminals(f *core.Flow, idx *flowIndex, terminals []uuid.UUID) string {
	if len(terminals) == 0 {
		return "none (every node has an outgoing edge)"
	}
	const shown = 5
	labels := make([]string, 0, shown)
	for _, id := range terminals[:min(len(terminals), shown)] {
		labels = append(labels, idx.nodeLabel(f, idx.byID[id]))
	}
	more := ""
	if len(terminals) > shown {
		more = fmt.Sprintf(", and %d more", len(terminals)-shown)
	}
	return fmt.Sprintf("%d: %s%s", len(terminals), strings.Join(labels, ", "), more)
}
