// Package graph renders a flow definition as a Mermaid or Graphviz DOT
// diagram: nodes labelled by alias and block, entry edges from a start
// marker, and each edge's condition (description, and CEL predicate when
// present) on its label.
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

// The supported formats.
const (
	Mermaid Format = "mermaid"
	DOT     Format = "dot"
)

// ParseFormat accepts "mermaid" or "dot".
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case Mermaid:
		return Mermaid, nil
	case DOT:
		return DOT, nil
	}
	return "", fmt.Errorf("unknown graph format %q (want mermaid or dot)", s)
}

// Write renders f in the given format. blocks resolves node targets for
// labels; a nil result falls back to the target id.
func Write(w io.Writer, f *core.Flow, format Format, blocks func(id uuid.UUID, version int) *core.WorkBlock) error {
	g := newModel(f, blocks)
	switch format {
	case Mermaid:
		return writeMermaid(w, g)
	case DOT:
		return writeDOT(w, g)
	}
	return fmt.Errorf("unknown graph format %q", format)
}

type node struct {
	key   string // identifier safe in both languages
	label string
}

type edge struct {
	from, to string // "" from = the start marker
	label    string
}

type model struct {
	title string
	nodes []node
	edges []edge
}

func newModel(f *core.Flow, blocks func(uuid.UUID, int) *core.WorkBlock) model {
	m := model{title: fmt.Sprintf("%s v%d", f.Name, f.Version)}
	keys := make(map[uuid.UUID]string, len(f.Nodes))
	for i, n := range f.Nodes {
		key := fmt.Sprintf("n%d", i)
		keys[n.ID] = key
		blockName := n.TargetID.String()
		if blocks != nil {
			if b := blocks(n.TargetID, n.TargetVersion); b != nil {
				blockName = b.Name
			}
		}
		label := fmt.Sprintf("%s@%d", blockName, n.TargetVersion)
		if n.Alias != "" {
			label = n.Alias + "\n" + label
		}
		m.nodes = append(m.nodes, node{key: key, label: label})
	}
	for _, e := range f.Edges {
		from := ""
		if !e.IsEntry() {
			from = keys[e.SourceID]
		}
		m.edges = append(m.edges, edge{from: from, to: keys[e.TargetID], label: edgeLabel(e)})
	}
	return m
}

func edgeLabel(e core.Edge) string {
	var parts []string
	if e.Condition != nil {
		c := e.Condition.Description
		if expr, ok := e.Condition.Predicate["cel"].(string); ok {
			c = strings.TrimSpace(c + " [" + expr + "]")
		}
		parts = append(parts, c)
	}
	for _, pm := range e.PortMappings {
		parts = append(parts, pm.SourcePort+"→"+pm.TargetPort)
	}
	return strings.Join(parts, "\n")
}

func writeMermaid(w io.Writer, m model) error {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart TD\n", mermaidText(m.title))
	b.WriteString("  start((start))\n")
	for _, n := range m.nodes {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", n.key, mermaidText(n.label))
	}
	for _, e := range m.edges {
		from := e.from
		if from == "" {
			from = "start"
		}
		if e.label == "" {
			fmt.Fprintf(&b, "  %s --> %s\n", from, e.to)
		} else {
			fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", from, mermaidText(e.label), e.to)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	s = strings.ReplaceAll(s, `"`, "#quot;")
	return strings.ReplaceAll(s, "\n", "<br/>")
}

func writeDOT(w io.Writer, m model) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=TB;\n  label=%s;\n  start [shape=circle,label=\"start\"];\n", dotQuote(m.title), dotQuote(m.title))
	for _, n := range m.nodes {
		fmt.Fprintf(&b, "  %s [shape=box,label=%s];\n", n.key, dotQuote(n.label))
	}
	for _, e := range m.edges {
		from := e.from
		if from == "" {
			from = "start"
		}
		if e.label == "" {
			fmt.Fprintf(&b, "  %s -> %s;\n", from, e.to)
		} else {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", from, e.to, dotQuote(e.label))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}
