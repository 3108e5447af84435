package validate

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// flowIndex is what the flow checks share: node positions by id and each
// node's resolved block (nil when unknown).
type flowIndex struct {
	byID   map[uuid.UUID]int
	blocks []*core.WorkBlock
}

// indexFlow maps node ids to their first position and resolves each node's
// block. When r is not nil, node problems are reported through it.
func (c *checker) indexFlow(f *core.Flow, r *reporter) *flowIndex {
	idx := &flowIndex{byID: make(map[uuid.UUID]int, len(f.Nodes)), blocks: make([]*core.WorkBlock, len(f.Nodes))}
	for i, n := range f.Nodes {
		if n.ID == uuid.Nil {
			if r != nil {
				r.add(fmt.Sprintf("nodes[%d].id", i), "must be set to a UUID")
			}
		} else if j, dup := idx.byID[n.ID]; dup {
			if r != nil {
				r.add(fmt.Sprintf("nodes[%d].id", i), "node id %s is already used by nodes[%d]; node ids must be unique within a flow", n.ID, j)
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
		c.pin(r, core.KindWorkBlock, n.TargetID, n.TargetVersion,
			fmt.Sprintf("nodes[%d].target_id", i), fmt.Sprintf("nodes[%d].target_version", i))
	}
	r.unique(len(f.Nodes),
		func(i int) string { return f.Nodes[i].Alias },
		func(i int) string { return fmt.Sprintf("nodes[%d].alias", i) },
		"alias", "aliases in a flow", true)
	for i, e := range f.Edges {
		c.edge(r, idx, i, e)
	}
	c.portMappings(f, idx, r)
	if c.cfg.assessment {
		if terminals := f.TerminalNodes(); len(terminals) != 1 {
			r.add("nodes", "an assessment flow must have exactly one terminal node; this one has %s", describeTerminals(f, idx, terminals))
		}
	}
	if c.cfg.requireRunnable {
		c.runnable(f, idx, r)
	}
}

// edge checks invariant 5 and the edge's condition.
func (c *checker) edge(r *reporter, idx *flowIndex, i int, e core.Edge) {
	path := fmt.Sprintf("edges[%d]", i)
	if !e.IsEntry() {
		if _, ok := idx.byID[e.SourceID]; !ok {
			r.add(path+".source_id", "no node with id %s in this flow", e.SourceID)
		}
	}
	if e.TargetID == uuid.Nil {
		r.add(path+".target_id", "must name a node of this flow")
	} else if _, ok := idx.byID[e.TargetID]; !ok {
		r.add(path+".target_id", "no node with id %s in this flow", e.TargetID)
	}
	if e.Condition == nil {
		return
	}
	if e.Condition.Predicate == nil {
		if strings.TrimSpace(e.Condition.Description) == "" {
			r.add(path+".condition", "needs a description or a predicate (omit the condition for an unconditional edge)")
		}
		return
	}
	c.predicate(r, path+".condition.predicate", e.Condition.Predicate)
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
