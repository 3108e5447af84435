// Package graph draws a flow: one model of its nodes and edges — entry
// edges from a start marker, each edge's condition and port mappings, back
// edges of loops, and the constructs that behave differently (for_each
// nodes, timers, signals) — written as Mermaid, Graphviz DOT, JSON, or SVG
// laid out by Graphviz. A model can carry each node's run state, so the
// same drawing serves `graph` (a definition) and the execution console (a
// run, each node coloured by state).
package graph

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// Format is a diagram language.
type Format string

// The supported text formats; SVG is drawn by a Renderer.
const (
	Mermaid Format = "mermaid"
	DOT     Format = "dot"
	JSON    Format = "json"
)

// ParseFormat accepts "mermaid", "dot" or "json".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Mermaid, DOT, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown graph format %q (want mermaid, dot or json)", s)
}

// NodeKind says how a node behaves, and so how it is drawn.
type NodeKind string

// The kinds of node.
const (
	KindBlock   NodeKind = "block"    // runs its block once per activation
	KindForEach NodeKind = "for_each" // runs its block once per item
	KindTimer   NodeKind = "timer"    // waits for a time (openoma.timer)
	KindSignal  NodeKind = "signal"   // waits for a signal (openoma.signal)
)

// Graph is the drawable model of one flow.
type Graph struct {
	Title string `json:"title"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is one node slot.
type Node struct {
	Key          string    `json:"key"` // identifier safe in every format: n0, n1, …
	ID           uuid.UUID `json:"id"`
	Alias        string    `json:"alias,omitempty"`
	Block        string    `json:"block"`
	BlockVersion int       `json:"block_version"`
	Kind         NodeKind  `json:"kind"`
	// Detail says what is special: the for_each list, the timer's wait or
	// time, the signal's name.
	Detail string `json:"detail,omitempty"`
	// Status is the node's run state, when the graph draws a run.
	Status *NodeStatus `json:"status,omitempty"`
}

// Edge is one edge; From is "" for an entry edge (from the start marker).
type Edge struct {
	From         string   `json:"from,omitempty"`
	To           string   `json:"to"`
	Condition    string   `json:"condition,omitempty"`
	CEL          string   `json:"cel,omitempty"`
	PortMappings []string `json:"port_mappings,omitempty"` // "source→target"
	// Back marks an edge that closes a loop: it leads to a node that is
	// already upstream of its source.
	Back bool `json:"back,omitempty"`
}

// Build makes the model of f. blocks resolves node targets for labels; a
// nil result (or a nil blocks) falls back to the target id.
func Build(f *core.Flow, blocks func(id uuid.UUID, version int) *core.WorkBlock) *Graph {
	g := &Graph{Title: fmt.Sprintf("%s v%d", f.Name, f.Version)}
	keys := make(map[uuid.UUID]string, len(f.Nodes))
	for i, n := range f.Nodes {
		key := fmt.Sprintf("n%d", i)
		keys[n.ID] = key
		node := Node{Key: key, ID: n.ID, Alias: n.Alias, Block: n.TargetID.String(), BlockVersion: n.TargetVersion, Kind: KindBlock}
		var b *core.WorkBlock
		if blocks != nil {
			b = blocks(n.TargetID, n.TargetVersion)
		}
		if b != nil {
			node.Block = b.Name
			node.Kind, node.Detail = kindOf(f, i, b)
		}
		g.Nodes = append(g.Nodes, node)
	}
	back := backEdges(f)
	for i, e := range f.Edges {
		edge := Edge{To: keys[e.TargetID], Back: back[i]}
		if !e.IsEntry() {
			edge.From = keys[e.SourceID]
		}
		if e.Condition != nil {
			edge.Condition = e.Condition.Description
			edge.CEL, _ = e.Condition.Predicate["cel"].(string)
		}
		for _, pm := range e.PortMappings {
			edge.PortMappings = append(edge.PortMappings, pm.SourcePort+"→"+pm.TargetPort)
		}
		g.Edges = append(g.Edges, edge)
	}
	return g
}

// kindOf reads a node's behaviour from its hints and metadata. Metadata
// that does not parse is drawn as a plain block: validate reports it.
func kindOf(f *core.Flow, i int, b *core.WorkBlock) (NodeKind, string) {
	ext, _ := core.NodeExtensions(f, i, b)
	switch {
	case hasHint(b, core.HintTimer):
		switch {
		case ext.Timer == nil:
			return KindTimer, "timer"
		case !ext.Timer.Until.IsZero():
			return KindTimer, "until " + ext.Timer.Until.Format("2006-01-02 15:04 MST")
		default:
			return KindTimer, "wait " + ext.Timer.Wait.String()
		}
	case hasHint(b, core.HintSignal):
		name := f.Nodes[i].Alias
		if ext.Signal != nil && ext.Signal.Name != "" {
			name = ext.Signal.Name
		}
		return KindSignal, "signal " + name
	case ext.ForEach != nil:
		return KindForEach, "for each " + ext.ForEach.As + " in " + ext.ForEach.Items
	}
	return KindBlock, ""
}

func hasHint(b *core.WorkBlock, hint string) bool {
	for _, h := range b.ExecutionHints {
		if h == hint {
			return true
		}
	}
	return false
}

// backEdges marks the edges that close a cycle, found by a depth-first walk
// from the entry nodes in node order (then from any node not reached), so
// the same flow always gets the same marks.
func backEdges(f *core.Flow) map[int]bool {
	out := map[uuid.UUID][]int{} // node → indexes of its outgoing edges
	entries := []uuid.UUID{}
	hasIncoming := map[uuid.UUID]bool{}
	for i, e := range f.Edges {
		if e.IsEntry() {
			entries = append(entries, e.TargetID)
			continue
		}
		out[e.SourceID] = append(out[e.SourceID], i)
		hasIncoming[e.TargetID] = true
	}
	for _, n := range f.Nodes {
		if !hasIncoming[n.ID] {
			entries = append(entries, n.ID)
		}
	}
	for _, n := range f.Nodes {
		entries = append(entries, n.ID)
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[uuid.UUID]int{}
	back := map[int]bool{}
	var visit func(id uuid.UUID)
	visit = func(id uuid.UUID) {
		state[id] = onPath
		for _, ei := range out[id] {
			switch to := f.Edges[ei].TargetID; state[to] {
			case onPath:
				back[ei] = true
			case unseen:
				visit(to)
			}
		}
		state[id] = done
	}
	for _, id := range entries {
		if state[id] == unseen {
			visit(id)
		}
	}
	return back
}

// Write renders f in a text format. blocks resolves node targets for
// labels; see Build.
func Write(w io.Writer, f *core.Flow, format Format, blocks func(id uuid.UUID, version int) *core.WorkBlock) error {
	return Build(f, blocks).Write(w, format)
}

// Write renders g in a text format.
func (g *Graph) Write(w io.Writer, format Format) error {
	switch format {
	case Mermaid:
		return writeMermaid(w, g)
	case DOT:
		_, err := io.WriteString(w, g.DOT())
		return err
	case JSON:
		return writeJSON(w, g)
	}
	return fmt.Errorf("unknown graph format %q", format)
}

// label is a node's text: alias, block@version, what is special, and the
// run state when drawn for a run.
func (n Node) label() string {
	lines := []string{}
	if n.Alias != "" {
		lines = append(lines, n.Alias)
	}
	lines = append(lines, fmt.Sprintf("%s@%d", n.Block, n.BlockVersion))
	if n.Detail != "" {
		lines = append(lines, marker(n.Kind)+n.Detail)
	}
	if n.Status != nil {
		lines = append(lines, n.Status.lines()...)
	}
	return strings.Join(lines, "\n")
}

func marker(k NodeKind) string {
	switch k {
	case KindForEach:
		return "⋔ "
	case KindTimer:
		return "⏱ "
	case KindSignal:
		return "⚑ "
	}
	return ""
}

// label is an edge's text: its condition (description and CEL) and port
// mappings, and "loop" on a back edge.
func (e Edge) label() string {
	var parts []string
	if e.Condition != "" || e.CEL != "" {
		c := e.Condition
		if e.CEL != "" {
			c = strings.TrimSpace(c + " [" + e.CEL + "]")
		}
		parts = append(parts, c)
	}
	parts = append(parts, e.PortMappings...)
	if e.Back {
		parts = append(parts, "↺ loop")
	}
	return strings.Join(parts, "\n")
}
