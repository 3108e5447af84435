package validate_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// bigFlow builds a valid flow of n nodes and 2n edges over ten blocks: two
// entry edges, then each node feeds the next two, every edge with a port
// mapping and every tenth with a CEL condition.
func bigFlow(n int) (*core.Flow, *core.Catalog) {
	cat := core.NewCatalog()
	blocks := make([]core.WorkBlock, 10)
	for i := range blocks {
		blocks[i] = core.WorkBlock{ID: seqID(1_000_000 + i), Version: 1, Name: fmt.Sprintf("Block %d", i),
			Inputs:  []core.PortDescriptor{port("in"), port("aux")},
			Outputs: []core.PortDescriptor{port("out"), port("extra")}}
		must(cat.AddWorkBlock(blocks[i], core.Source{}))
	}
	f := &core.Flow{ID: seqID(2_000_000), Version: 1, Name: "Big", Nodes: make([]core.NodeReference, n), Edges: make([]core.Edge, 0, 2*n)}
	for i := range f.Nodes {
		b := blocks[i%len(blocks)]
		f.Nodes[i] = core.NodeReference{ID: seqID(i + 1), TargetID: b.ID, TargetVersion: 1, Alias: fmt.Sprintf("n%d", i)}
	}
	mapping := []core.PortMapping{{SourcePort: "out", TargetPort: "in"}}
	cond := &core.Condition{Description: "ok", Predicate: map[string]any{"cel": `outputs.out == "ok"`}}
	f.Edges = append(f.Edges,
		core.Edge{TargetID: f.Nodes[0].ID, PortMappings: mapping},
		core.Edge{TargetID: f.Nodes[1].ID, PortMappings: mapping})
	for i := range n {
		for step := 1; step <= 2; step++ {
			if i+step >= n {
				continue
			}
			e := core.Edge{SourceID: f.Nodes[i].ID, TargetID: f.Nodes[i+step].ID, PortMappings: mapping}
			if len(f.Edges)%10 == 0 {
				e.Condition = cond
			}
			f.Edges = append(f.Edges, e)
		}
	}
	f.Edges = append(f.Edges, core.Edge{TargetID: f.Nodes[2].ID, PortMappings: mapping}) // 2n edges in all
	return f, cat
}

// BenchmarkValidateFlow validates a flow of n nodes and 2n edges with every
// check the host applies (spec invariants, port mappings, predicates,
// Runnable). ns/node should stay flat from 10k to 100k nodes: the checks
// are linear.
func BenchmarkValidateFlow(b *testing.B) {
	comp, err := condition.NewCompiler()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000} {
		f, cat := bigFlow(n)
		if err := validate.Flow(f, cat, validate.WithCompiler(comp), validate.RequireRunnable()); err != nil {
			b.Fatalf("benchmark flow is invalid: %v", err)
		}
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := validate.Flow(f, cat, validate.WithCompiler(comp), validate.RequireRunnable()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/node")
		})
	}
}

// BenchmarkValidateCatalogQ3 validates the example organisation, as
// `openoma-host validate examples/q3-launch` does after loading.
func BenchmarkValidateCatalogQ3(b *testing.B) {
	cat, err := core.Load(filepath.Join("..", "examples", "q3-launch"))
	if err != nil {
		b.Fatal(err)
	}
	comp, err := condition.NewCompiler()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := validate.Catalog(cat, validate.WithCompiler(comp), validate.RequireRunnable()); err != nil {
			b.Fatal(err)
		}
	}
}
