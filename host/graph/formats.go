package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func writeJSON(w io.Writer, g *Graph) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}

func writeMermaid(w io.Writer, g *Graph) error {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart TD\n", mermaidText(g.Title))
	b.WriteString("  start((start))\n")
	for _, n := range g.Nodes {
		open, closing := mermaidShape(n.Kind)
		fmt.Fprintf(&b, "  %s%s\"%s\"%s\n", n.Key, open, mermaidText(n.label()), closing)
	}
	for _, e := range g.Edges {
		from := e.From
		if from == "" {
			from = "start"
		}
		arrow := "-->"
		if e.Back {
			arrow = "-.->"
		}
		if label := e.label(); label == "" {
			fmt.Fprintf(&b, "  %s %s %s\n", from, arrow, e.To)
		} else {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", from, arrow, mermaidText(label), e.To)
		}
	}
	for _, n := range g.Nodes {
		if n.Status != nil {
			fill, text := n.Status.colours()
			fmt.Fprintf(&b, "  style %s fill:%s,color:%s\n", n.Key, fill, text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidShape(k NodeKind) (string, string) {
	switch k {
	case KindForEach:
		return "[[", "]]" // subroutine: a block run many times
	case KindTimer:
		return "([", "])" // stadium
	case KindSignal:
		return "{{", "}}" // hexagon
	}
	return "[", "]"
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	s = strings.ReplaceAll(s, `"`, "#quot;")
	return strings.ReplaceAll(s, "\n", "<br/>")
}

// DOT is g in Graphviz's language: back edges dashed and left out of the
// ranking (constraint=false) so a loop does not turn the layout upside
// down; nodes filled by state when g draws a run.
func (g *Graph) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=TB;\n  label=%s;\n  fontname=\"Helvetica\";\n", dotQuote(g.Title), dotQuote(g.Title))
	b.WriteString("  node [fontname=\"Helvetica\",fontsize=11];\n  edge [fontname=\"Helvetica\",fontsize=9];\n")
	b.WriteString("  start [shape=circle,label=\"start\"];\n")
	for _, n := range g.Nodes {
		attrs := []string{"shape=" + dotShape(n.Kind), "label=" + dotQuote(n.label())}
		if n.Kind == KindForEach {
			attrs = append(attrs, "peripheries=2")
		}
		if n.Status != nil {
			fill, text := n.Status.colours()
			attrs = append(attrs, "style=filled", "fillcolor="+dotQuote(fill), "fontcolor="+dotQuote(text))
		}
		fmt.Fprintf(&b, "  %s [%s];\n", n.Key, strings.Join(attrs, ","))
	}
	for _, e := range g.Edges {
		from := e.From
		if from == "" {
			from = "start"
		}
		var attrs []string
		if label := e.label(); label != "" {
			attrs = append(attrs, "label="+dotQuote(label))
		}
		if e.Back {
			attrs = append(attrs, "style=dashed", "constraint=false")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", from, e.To)
		} else {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", from, e.To, strings.Join(attrs, ","))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func dotShape(k NodeKind) string {
	switch k {
	case KindTimer:
		return "octagon"
	case KindSignal:
		return "hexagon"
	}
	return "box"
}

func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}
