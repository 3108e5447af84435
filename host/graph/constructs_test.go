package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// reviewLoop: implement → review → back to implement, on to ship; a wait
// timer, a signal, and per-ticket work with for_each.
func reviewLoop(t *testing.T) (*core.Flow, func(uuid.UUID, int) *core.WorkBlock) {
	t.Helper()
	cat, err := core.LoadFiles(core.File{Name: "loop.yaml", Data: []byte(`
kind: work_block
name: Work
version: 1
inputs: [{name: ticket, description: t, required: false}]
outputs: [{name: verdict, description: v}]
execution_hints: [shell]
---
kind: work_block
name: Wait
version: 1
inputs: []
outputs: []
execution_hints: [openoma.timer]
metadata: {timer: {wait: 48h}}
---
kind: work_block
name: Deployed
version: 1
inputs: []
outputs: []
execution_hints: [openoma.signal]
---
kind: flow
name: Review Loop
version: 1
nodes:
  - {alias: implement, block: Work@1, metadata: {for_each: {items: "inputs.tickets", as: ticket}}}
  - {alias: review, block: Work@1}
  - {alias: cool_off, block: Wait@1}
  - {alias: deployed, block: Deployed@1, metadata: {signal: {name: prod-deployed}}}
edges:
  - {to: implement}
  - {from: implement, to: review}
  - from: review
    to: implement
    condition: {description: changes requested, predicate: {cel: 'outputs.verdict == "changes_requested"'}}
  - from: review
    to: cool_off
    condition: {description: approved, predicate: {cel: 'outputs.verdict == "approved"'}}
  - {from: cool_off, to: deployed}
`)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := cat.LookupFlow("Review Loop")
	if err != nil {
		t.Fatal(err)
	}
	return f, func(id uuid.UUID, v int) *core.WorkBlock { b, _ := cat.WorkBlock(id, v); return b }
}

func TestConstructsAreDrawnApart(t *testing.T) {
	f, blocks := reviewLoop(t)
	g := Build(f, blocks)
	kinds := map[string]NodeKind{}
	details := map[string]string{}
	for _, n := range g.Nodes {
		kinds[n.Alias], details[n.Alias] = n.Kind, n.Detail
	}
	want := map[string]NodeKind{"implement": KindForEach, "review": KindBlock, "cool_off": KindTimer, "deployed": KindSignal}
	for alias, k := range want {
		if kinds[alias] != k {
			t.Errorf("node %s: kind %q, want %q", alias, kinds[alias], k)
		}
	}
	for alias, d := range map[string]string{"implement": "for each ticket in inputs.tickets", "cool_off": "wait 48h0m0s", "deployed": "signal prod-deployed"} {
		if details[alias] != d {
			t.Errorf("node %s: detail %q, want %q", alias, details[alias], d)
		}
	}
	var backs []int
	for i, e := range g.Edges {
		if e.Back {
			backs = append(backs, i)
		}
	}
	if len(backs) != 1 || backs[0] != 2 {
		t.Fatalf("back edges %v, want exactly edges[2] (review → implement)", backs)
	}
	var dot, mermaid bytes.Buffer
	if err := g.Write(&dot, DOT); err != nil {
		t.Fatal(err)
	}
	if err := g.Write(&mermaid, Mermaid); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`n1 -> n0 [label="changes requested [outputs.verdict == \"changes_requested\"]\n↺ loop",style=dashed,constraint=false];`,
		`n0 [shape=box,label="implement\nWork@1\n⋔ for each ticket in inputs.tickets",peripheries=2];`,
		`n2 [shape=octagon`, `n3 [shape=hexagon`,
	} {
		if !strings.Contains(dot.String(), w) {
			t.Errorf("DOT lacks %q:\n%s", w, dot.String())
		}
	}
	for _, w := range []string{`n1 -.->|`, `n0[["implement`, `n2(["cool_off`, `n3{{"deployed`} {
		if !strings.Contains(mermaid.String(), w) {
			t.Errorf("Mermaid lacks %q:\n%s", w, mermaid.String())
		}
	}
}

// A nested loop has one back edge per loop; a DAG has none.
func TestBackEdges(t *testing.T) {
	ids := make([]uuid.UUID, 4)
	nodes := make([]core.NodeReference, 4)
	for i := range ids {
		ids[i] = uuid.New()
		nodes[i] = core.NodeReference{ID: ids[i]}
	}
	edge := func(from, to int) core.Edge { return core.Edge{SourceID: ids[from], TargetID: ids[to]} }
	entry := core.Edge{TargetID: ids[0]}
	tests := []struct {
		name  string
		edges []core.Edge
		back  []int
	}{
		{"chain", []core.Edge{entry, edge(0, 1), edge(1, 2), edge(2, 3)}, nil},
		{"diamond", []core.Edge{entry, edge(0, 1), edge(0, 2), edge(1, 3), edge(2, 3)}, nil},
		{"self loop", []core.Edge{entry, edge(0, 0), edge(0, 1)}, []int{1}},
		{"nested", []core.Edge{entry, edge(0, 1), edge(1, 2), edge(2, 1), edge(2, 3), edge(3, 0)}, []int{3, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &core.Flow{Nodes: nodes, Edges: tt.edges}
			got := backEdges(f)
			if len(got) != len(tt.back) {
				t.Fatalf("back edges %v, want %v", got, tt.back)
			}
			for _, i := range tt.back {
				if !got[i] {
					t.Errorf("edges[%d] not marked back: %v", i, got)
				}
			}
		})
	}
}

// A run's drawing colours each node by state and says what happened.
func TestDecoratedSVG(t *testing.T) {
	f, blocks := reviewLoop(t)
	g := Build(f, blocks)
	g.Decorate(map[uuid.UUID]NodeStatus{
		f.Nodes[0].ID: {State: execution.StateCompleted, Iterations: 2, Items: 3, ItemsDone: 3, Duration: 1500 * time.Millisecond},
		f.Nodes[1].ID: {State: execution.StateFailed, Attempts: 3},
		f.Nodes[2].ID: {State: execution.StateInProgress},
	})
	r, err := NewRenderer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	svg, err := r.SVG(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.HasPrefix(s, "<svg") {
		t.Fatalf("SVG starts %q", s[:min(40, len(s))])
	}
	for _, w := range []string{
		`fill="#2e7d32"`, `fill="#c62828"`, `fill="#1565c0"`, // completed, failed, in progress
		"iteration 2", "items 3/3 done", "3 attempts", "not reached", "1.5s",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	var js bytes.Buffer
	if err := g.Write(&js, JSON); err != nil {
		t.Fatal(err)
	}
	var back Graph
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Nodes) != 4 || back.Nodes[1].Status.State != execution.StateFailed || !back.Edges[2].Back {
		t.Errorf("JSON round trip lost the model: %s", js.String())
	}
}
