package validate

import (
	"fmt"
	"strings"

	"github.com/openoma/openoma/core"
)

// graph is a flow's edges between node positions in compressed adjacency
// form: the arcs leaving node u are arcs[start[u]:start[u+1]]. Edges whose
// ends are not nodes of the flow are left out, and so are those keep (when
// not nil) refuses.
type graph struct {
	start   []int
	arcs    []arc
	entries []int // positions of nodes that entry edges point at
}

type arc struct{ to, edge int }

func buildGraph(f *core.Flow, idx *flowIndex, keep func(edge int) bool) *graph {
	n := len(f.Nodes)
	g := &graph{start: make([]int, n+1)}
	type link struct{ from, to, edge int }
	links := make([]link, 0, len(f.Edges))
	for i, end := range idx.ends {
		switch {
		case end.target == missing, keep != nil && !keep(i):
		case end.source == entry:
			g.entries = append(g.entries, end.target)
		case end.source != missing:
			links = append(links, link{end.source, end.target, i})
			g.start[end.source+1]++
		}
	}
	for u := range n {
		g.start[u+1] += g.start[u]
	}
	g.arcs = make([]arc, len(links))
	next := make([]int, n)
	copy(next, g.start[:n])
	for _, l := range links {
		g.arcs[next[l.from]] = arc{to: l.to, edge: l.edge}
		next[l.from]++
	}
	return g
}

func (g *graph) out(u int) []arc { return g.arcs[g.start[u]:g.start[u+1]] }

// runnable reports what stops the host from running f: no nodes, no entry
// edge, nodes no entry edge reaches, and loops that cannot end. Cycles are
// loops (each pass runs its nodes again, up to max_iterations).
func (c *checker) runnable(f *core.Flow, idx *flowIndex, r *reporter) {
	if len(f.Nodes) == 0 {
		r.add("nodes", "the flow has no nodes, so there is nothing to run")
		return
	}
	g := buildGraph(f, idx, nil)
	if len(g.entries) == 0 {
		r.add("edges", "the flow has no entry edge (an edge without source_id), so no node can start")
	} else {
		reached := g.reach()
		for i, ok := range reached {
			if !ok {
				r.add(fmt.Sprintf("nodes[%d]", i), "node %s is not reachable from any entry edge, so it would never run", idx.nodeLabel(f, i))
			}
		}
	}
	// A cycle is a loop; one whose edges are all unconditional never ends
	// but at the iteration limit. Searching the unconditional edges alone
	// finds every such cycle, even one that shares nodes with loops that
	// can end.
	unconditional := buildGraph(f, idx, func(e int) bool { return f.Edges[e].Condition == nil })
	unconditional.backEdges(func(cycle []int, edge int) {
		r.add(fmt.Sprintf("edges[%d]", edge), "closes the cycle %s, and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back", cycleText(f, idx, cycle))
	})
}

// reach marks the nodes reachable from an entry edge (breadth first).
func (g *graph) reach() []bool {
	reached := make([]bool, len(g.start)-1)
	queue := make([]int, 0, len(reached))
	for _, u := range g.entries {
		if !reached[u] {
			reached[u] = true
			queue = append(queue, u)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, a := range g.out(u) {
			if !reached[a.to] {
				reached[a.to] = true
				queue = append(queue, a.to)
			}
		}
	}
	return reached
}

// backEdges runs an iterative depth-first search over the whole graph and
// calls found for every edge that closes a cycle, with the cycle's nodes in
// order (a view of the search path, valid only during the call). Each node
// and arc is visited once, so the search is linear; an explicit stack keeps
// deep graphs off the goroutine stack.
func (g *graph) backEdges(found func(cycle []int, edge int)) {
	const (
		white = iota
		grey
		black
	)
	n := len(g.start) - 1
	colour := make([]uint8, n)
	depth := make([]int, n) // position of a grey node on the stack
	type frame struct{ node, next int }
	var stack []frame
	var path []int
	for root := range n {
		if colour[root] != white {
			continue
		}
		colour[root] = grey
		depth[root] = 0
		stack = append(stack[:0], frame{node: root, next: g.start[root]})
		path = append(path[:0], root)
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == g.start[top.node+1] {
				colour[top.node] = black
				stack = stack[:len(stack)-1]
				path = path[:len(path)-1]
				continue
			}
			a := g.arcs[top.next]
			top.next++
			switch colour[a.to] {
			case white:
				colour[a.to] = grey
				depth[a.to] = len(path)
				stack = append(stack, frame{node: a.to, next: g.start[a.to]})
				path = append(path, a.to)
			case grey:
				found(path[depth[a.to]:], a.edge)
			}
		}
	}
}

// cycleText renders a cycle as `"a" → "b" → "a"` (the first node repeated
// to close it), eliding the middle of long cycles so a message stays
// readable and costs O(1).
func cycleText(f *core.Flow, idx *flowIndex, nodes []int) string {
	const head, tail = 4, 2
	labels := make([]string, 0, head+tail+2)
	if len(nodes) <= head+tail {
		for _, u := range nodes {
			labels = append(labels, idx.nodeLabel(f, u))
		}
	} else {
		for _, u := range nodes[:head] {
			labels = append(labels, idx.nodeLabel(f, u))
		}
		labels = append(labels, fmt.Sprintf("… %d more …", len(nodes)-head-tail))
		for _, u := range nodes[len(nodes)-tail:] {
			labels = append(labels, idx.nodeLabel(f, u))
		}
	}
	labels = append(labels, idx.nodeLabel(f, nodes[0]))
	return strings.Join(labels, " → ")
}
