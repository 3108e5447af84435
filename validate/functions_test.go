package validate_test

import (
	"fmt"
	"testing"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

func TestFlowWithoutResolver(t *testing.T) {
	fx := newFixture()
	fx.sprint.Edges[3].PortMappings[0].SourcePort = "pr_link" // unknowable without blocks
	fx.sprint.Nodes[1].TargetVersion = 0
	err := validate.Flow(&fx.sprint, nil, validate.WithSource(core.Source{File: "sprint.json"}))
	checkLines(t, errorLines(t, err), []string{
		`sprint.json: flow "Engineering Sprint Cycle" v1: nodes[1].target_version: must pin a block version (1 or more), got 0`,
	})
}

func TestFlowWithoutCatalogVersions(t *testing.T) {
	// A plain Resolver cannot list versions, so a missing pin names the id.
	fx := newFixture()
	fx.sprint.Nodes[1].TargetVersion = 2
	err := validate.Flow(&fx.sprint, fx.catalog())
	checkLines(t, errorLines(t, err), []string{
		`flow "Engineering Sprint Cycle" v1: nodes[1].target_id: no block with id 00000000-0000-0000-0000-000000000002 in the catalog`,
	})
}

func TestFlowAsAssessment(t *testing.T) {
	fx := newFixture()
	cat := fx.catalog()
	if err := validate.Flow(&fx.release, cat, validate.AsAssessment()); err != nil {
		t.Fatalf("release verification is a valid assessment flow: %v", err)
	}
	if err := validate.Flow(&fx.sprint, cat, validate.AsAssessment()); err != nil {
		t.Fatalf("the sprint flow ends in one node, review: %v", err)
	}
	fx.sprint.Edges = fx.sprint.Edges[:4] // impl-fast-track becomes a second terminal
	err := validate.Flow(&fx.sprint, cat, validate.AsAssessment())
	checkLines(t, errorLines(t, err), []string{
		`flow "Engineering Sprint Cycle" v1: nodes: an assessment flow must have exactly one terminal node; this one has 2: "review", "impl-fast-track"`,
	})
}

func TestFlowRequireRunnable(t *testing.T) {
	fx := newFixture()
	fx.release.Edges = append(fx.release.Edges, core.Edge{SourceID: id(202), TargetID: id(202)})
	if err := validate.Flow(&fx.release, fx.catalog()); err != nil {
		t.Fatalf("without RequireRunnable a cycle is allowed by the spec: %v", err)
	}
	err := validate.Flow(&fx.release, fx.catalog(), validate.RequireRunnable())
	checkLines(t, errorLines(t, err), []string{
		`flow "Release Verification" v1: edges[2]: closes the cycle "verdict" → "verdict", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`,
	})
}

func TestPortMappingsAlone(t *testing.T) {
	fx := newFixture()
	fx.sprint.Nodes[1].TargetVersion = 0 // not PortMappings' business
	fx.sprint.Edges[1].PortMappings[0].SourcePort = "ticket"
	fx.sprint.Edges[3].PortMappings[0].TargetPort = "url"
	err := validate.PortMappings(&fx.sprint, fx.catalog())
	checkLines(t, errorLines(t, err), []string{
		`flow "Engineering Sprint Cycle" v1: edges[1].port_mappings[0].source_port: "ticket" is not an output of block "Ticket Triage" v1 (has: approved, task)`,
		`flow "Engineering Sprint Cycle" v1: edges[3].port_mappings[0].target_port: "url" is not an input of block "Code Review" v1 (has: pull_request_url, review_checklist)`,
	})
}

func TestPortMappingsBlockWithoutPorts(t *testing.T) {
	fx := newFixture()
	fx.verdict.Outputs = nil
	fx.release.Nodes = append(fx.release.Nodes, core.NodeReference{ID: id(203), TargetID: fx.verdict.ID, TargetVersion: 1})
	fx.release.Edges = append(fx.release.Edges, core.Edge{SourceID: id(202), TargetID: id(203), PortMappings: []core.PortMapping{{SourcePort: "shipped", TargetPort: "verdict"}}})
	err := validate.PortMappings(&fx.release, fx.catalog())
	checkLines(t, errorLines(t, err), []string{
		`flow "Release Verification" v1: edges[2].port_mappings[0].source_port: "shipped" is not an output of block "Produce Release Verdict" v1 (has: none)`,
	})
}

func TestContractAlone(t *testing.T) {
	fx := newFixture()
	if err := validate.Contract(&fx.launch, fx.catalog()); err != nil {
		t.Fatalf("valid contract: %v", err)
	}
	// Without a resolver, only direct self-inclusion is visible.
	self := fx.infra
	self.SubContracts = []core.ContractReference{{ContractID: self.ID, ContractVersion: 1}}
	checkLines(t, errorLines(t, validate.Contract(&self, nil)), []string{
		`contract "Infrastructure SLA" v1: sub_contracts[0]: circular sub-contract inclusion "Infrastructure SLA" v1 → "Infrastructure SLA" v1; a contract may not include itself, directly or through its sub-contracts`,
	})
	// A new version of launch, not yet in the catalog, included by infra
	// (in the catalog) which it includes: the cycle is found through the
	// resolver and reported at the entry that leads into it.
	cat := fx.catalog()
	v2 := fx.launch.NextVersion()
	v2.SubContracts = []core.ContractReference{{ContractID: id(50), ContractVersion: 1}, {ContractID: fx.infra.ID, ContractVersion: 1}}
	middle := core.Contract{ID: id(50), Version: 1, Name: "Middle", SubContracts: []core.ContractReference{{ContractID: fx.launch.ID, ContractVersion: 2}}}
	must(cat.AddContract(middle, core.Source{}))
	checkLines(t, errorLines(t, validate.Contract(&v2, cat)), []string{
		`contract "Q3 Product Launch" v2: sub_contracts[0]: circular sub-contract inclusion "Q3 Product Launch" v2 → "Middle" v1 → "Q3 Product Launch" v2; a contract may not include itself, directly or through its sub-contracts`,
	})
}

func TestWorkBlockAlone(t *testing.T) {
	fx := newFixture()
	if err := validate.WorkBlock(&fx.review); err != nil {
		t.Fatalf("valid block: %v", err)
	}
	b := core.WorkBlock{}
	checkLines(t, errorLines(t, validate.WorkBlock(&b, validate.WithSource(core.Source{File: "b.yaml", Line: 4}))), []string{
		`b.yaml:4: block "" v0: id: must be set to a UUID`,
		`b.yaml:4: block "" v0: version: must be 1 or more (versions start at 1), got 0`,
		`b.yaml:4: block "" v0: name: must not be empty`,
	})
}

func TestRunnable(t *testing.T) {
	chain := func(n int) core.Flow {
		f := core.Flow{ID: id(1), Version: 1, Name: "Chain"}
		for i := range n {
			f.Nodes = append(f.Nodes, core.NodeReference{ID: id(100 + i), TargetID: id(9), TargetVersion: 1, Alias: fmt.Sprintf("n%d", i)})
			if i == 0 {
				f.Edges = append(f.Edges, core.Edge{TargetID: id(100)})
			} else {
				f.Edges = append(f.Edges, core.Edge{SourceID: id(100 + i - 1), TargetID: id(100 + i)})
			}
		}
		return f
	}
	long := chain(12)
	long.Edges = append(long.Edges, core.Edge{SourceID: id(111), TargetID: id(101)})
	island := chain(3)
	island.Nodes = append(island.Nodes, core.NodeReference{ID: id(200), TargetID: id(9), TargetVersion: 1, Alias: "a"},
		core.NodeReference{ID: id(201), TargetID: id(9), TargetVersion: 1, Alias: "b"})
	island.Edges = append(island.Edges, core.Edge{SourceID: id(200), TargetID: id(201)}, core.Edge{SourceID: id(201), TargetID: id(200)},
		core.Edge{SourceID: id(999), TargetID: id(100)}) // an edge from nowhere is Flow's to report
	again := &core.Condition{Description: "changes requested", Predicate: map[string]any{"cel": `outputs.verdict == "changes_requested"`}}
	// n0 → n1 → n2 → back to n1 when a condition holds: a loop that can end.
	loop := chain(3)
	loop.Edges = append(loop.Edges, core.Edge{SourceID: id(102), TargetID: id(101), Condition: again})
	// n0 → n1 (conditional) → n2 → n0, and n0 → n2 unconditionally: the
	// cycle n0 → n2 → n0 has no condition although it shares n2 → n0 with
	// one that does.
	overlapping := chain(3)
	overlapping.Edges[1].Condition = again
	overlapping.Edges = append(overlapping.Edges, core.Edge{SourceID: id(102), TargetID: id(100)}, core.Edge{SourceID: id(100), TargetID: id(102)})
	noEntry := chain(2)
	noEntry.Edges = noEntry.Edges[1:]
	tests := []struct {
		name string
		flow core.Flow
		want []string
	}{
		{"chain", chain(5), nil},
		{"loop with a condition", loop, nil},
		{"unconditional cycle among conditional ones", overlapping, []string{
			`flow "Chain" v1: edges[3]: closes the cycle "n0" → "n2" → "n0", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`}},
		{"empty", core.Flow{Name: "Empty", Version: 1}, []string{
			`flow "Empty" v1: nodes: the flow has no nodes, so there is nothing to run`}},
		{"no entry", noEntry, []string{
			`flow "Chain" v1: edges: the flow has no entry edge (an edge without source_id), so no node can start`}},
		{"long cycle elided", long, []string{
			`flow "Chain" v1: edges[12]: closes the cycle "n1" → "n2" → "n3" → "n4" → … 5 more … → "n10" → "n11" → "n1", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`}},
		{"unreachable island with its own cycle", island, []string{
			`flow "Chain" v1: nodes[3]: node "a" is not reachable from any entry edge, so it would never run`,
			`flow "Chain" v1: nodes[4]: node "b" is not reachable from any entry edge, so it would never run`,
			`flow "Chain" v1: edges[4]: closes the cycle "a" → "b" → "a", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLines(t, errorLines(t, validate.Runnable(&tt.flow)), tt.want)
		})
	}
}

func TestRunnableDeepChainDoesNotRecurse(t *testing.T) {
	// 100,000 nodes in one chain closed into a cycle: an explicit stack
	// keeps the search off the goroutine stack.
	const n = 100_000
	f := core.Flow{ID: id(1), Version: 1, Name: "Deep", Nodes: make([]core.NodeReference, n), Edges: make([]core.Edge, 0, n+1)}
	block := id(9)
	for i := range f.Nodes {
		f.Nodes[i] = core.NodeReference{ID: seqID(i + 1), TargetID: block, TargetVersion: 1}
	}
	f.Edges = append(f.Edges, core.Edge{TargetID: f.Nodes[0].ID})
	for i := 1; i < n; i++ {
		f.Edges = append(f.Edges, core.Edge{SourceID: f.Nodes[i-1].ID, TargetID: f.Nodes[i].ID})
	}
	f.Edges = append(f.Edges, core.Edge{SourceID: f.Nodes[n-1].ID, TargetID: f.Nodes[0].ID})
	list := validate.Errors(validate.Runnable(&f))
	if len(list) != 1 || list[0].Path != fmt.Sprintf("edges[%d]", n) {
		t.Fatalf("want one cycle error at edges[%d], got %v", n, list)
	}
}

func TestSharedCompiler(t *testing.T) {
	comp, err := condition.NewCompiler()
	if err != nil {
		t.Fatal(err)
	}
	fx := newFixture()
	for range 3 {
		if err := validate.Catalog(fx.catalog(), validate.WithCompiler(comp)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNilInputsDoNotPanic(t *testing.T) {
	var nilCatalog *core.Catalog
	fx := newFixture()
	for name, err := range map[string]error{
		"WorkBlock":    validate.WorkBlock(nil),
		"Flow":         validate.Flow(nil, nil),
		"PortMappings": validate.PortMappings(nil, nil),
		"Contract":     validate.Contract(nil, nil),
		"Runnable":     validate.Runnable(nil),
	} {
		t.Run(name, func(t *testing.T) {
			checkLines(t, errorLines(t, err), []string{"nothing to validate: the definition is nil"})
		})
	}
	if err := validate.Catalog(nil); err != nil {
		t.Errorf("Catalog(nil) = %v, want nil", err)
	}
	// A nil *core.Catalog as the Resolver means "no resolver".
	if err := validate.Flow(&fx.sprint, nilCatalog); err != nil {
		t.Errorf("Flow with a nil catalog: %v", err)
	}
}
