package graph

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

func sprintFlow() (*core.Flow, func(uuid.UUID, int) *core.WorkBlock) {
	triage := &core.WorkBlock{ID: uuid.New(), Version: 1, Name: "Ticket Triage"}
	impl := &core.WorkBlock{ID: uuid.New(), Version: 2, Name: "Implementation"}
	a := core.NodeReference{ID: uuid.New(), TargetID: triage.ID, TargetVersion: 1, Alias: "triage"}
	b := core.NodeReference{ID: uuid.New(), TargetID: impl.ID, TargetVersion: 2, Alias: "impl"}
	f := &core.Flow{Name: `Sprint "A"`, Version: 1, Nodes: []core.NodeReference{a, b}, Edges: []core.Edge{
		{TargetID: a.ID},
		{SourceID: a.ID, TargetID: b.ID, Condition: &core.Condition{
			Description: "ticket is approved",
			Predicate:   map[string]any{"cel": "outputs.approved == true"},
		}, PortMappings: []core.PortMapping{{SourcePort: "ticket", TargetPort: "spec"}}},
	}}
	blocks := map[uuid.UUID]*core.WorkBlock{triage.ID: triage, impl.ID: impl}
	return f, func(id uuid.UUID, _ int) *core.WorkBlock { return blocks[id] }
}

func TestWrite(t *testing.T) {
	f, blocks := sprintFlow()
	tests := []struct {
		format Format
		want   []string
	}{
		{Mermaid, []string{
			"flowchart TD",
			`title: Sprint #quot;A#quot; v1`,
			`n0["triage<br/>Ticket Triage@1"]`,
			"start --> n0",
			`n0 -->|"ticket is approved [outputs.approved == true]<br/>ticket→spec"| n1`,
		}},
		{DOT, []string{
			`digraph "Sprint \"A\" v1" {`,
			`n1 [shape=box,label="impl\nImplementation@2"];`,
			"start -> n0;",
			`n0 -> n1 [label="ticket is approved [outputs.approved == true]\nticket→spec"];`,
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b strings.Builder
			if err := Write(&b, f, tt.format, blocks); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"mermaid": Mermaid, "DOT": DOT, "json": JSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("png"); err == nil || !strings.Contains(err.Error(), "mermaid, dot or json") {
		t.Errorf("ParseFormat(png) err = %v", err)
	}
}

func TestUnknownBlockFallsBackToID(t *testing.T) {
	f, _ := sprintFlow()
	var b strings.Builder
	if err := Write(&b, f, Mermaid, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), f.Nodes[0].TargetID.String()) {
		t.Errorf("want target id in label:\n%s", b.String())
	}
}
