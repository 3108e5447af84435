package core

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A document in the layout of Python openoma 0.1.0's model_dump(mode="json")
// loads unchanged, and encodes back to the same layout.
func TestPythonLayoutLoadsAndEncodesUnchanged(t *testing.T) {
	cat, err := Load("testdata/python")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if b, f, c := cat.Counts(); b != 3 || f != 2 || c != 2 {
		t.Fatalf("counts = %d blocks, %d flows, %d contracts; want 3, 2, 2", b, f, c)
	}

	flow, err := cat.LookupFlow("Engineering Sprint Cycle@1")
	if err != nil {
		t.Fatal(err)
	}
	if !flow.Edges[0].IsEntry() || flow.Edges[0].Condition != nil {
		t.Errorf("edge 0 = %+v; want an unconditional entry edge", flow.Edges[0])
	}
	if got := flow.Edges[1].Condition.Predicate["cel"]; got != "outputs.approved == true" {
		t.Errorf("edge 1 predicate cel = %v", got)
	}
	if flow.Nodes[0].Alias != "" || flow.Nodes[0].Metadata == nil {
		t.Errorf("node 0 = %+v; want empty alias from null and non-nil metadata", flow.Nodes[0])
	}
	review, err := cat.LookupWorkBlock("Code Review@1")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := review.Input("review_checklist"); p.Required || p.Schema != nil {
		t.Errorf("review_checklist = %+v; want optional with null schema", p)
	}

	for _, name := range []string{"work_block.json", "flow.json", "contract.json", "list.json"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata/python", name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			entities, err := DecodeDocument(path, data)
			if err != nil {
				t.Fatalf("DecodeDocument: %v", err)
			}
			out, err := EncodeJSON(entities...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(genericJSON(t, data), genericJSON(t, out)) {
				t.Errorf("encoding differs from the Python layout:\n%s", out)
			}
		})
	}
}

func genericJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return v
}

// decode → encode → decode gives identical values, for every kind and both
// formats.
func TestRoundTrip(t *testing.T) {
	paths := []string{
		"testdata/python/work_block.json",
		"testdata/python/flow.json",
		"testdata/python/contract.json",
		"testdata/python/list.json",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, path, data)
		})
	}
	// The example's files refer to each other, so round-trip them as one
	// catalog: encode everything, decode it back as one document.
	t.Run("examples/q3-launch", func(t *testing.T) {
		cat, err := Load("../examples/q3-launch")
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[Kind]bool{}
		for _, e := range cat.Entities() {
			kinds[e.Kind()] = true
		}
		if len(kinds) != 3 {
			t.Fatalf("example has kinds %v; want all three", kinds)
		}
		out, err := EncodeJSON(cat.Entities()...)
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, "catalog.json", out)
		back, err := DecodeDocument("catalog.json", out)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, cat.Entities()) {
			t.Error("the example decoded from its canonical JSON differs from the YAML it came from")
		}
	})
}

func checkRoundTrip(t *testing.T, name string, data []byte) {
	t.Helper()
	first, err := DecodeDocument(name, data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out, err := EncodeJSON(first...)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	second, err := DecodeDocument("reencoded.json", out)
	if err != nil {
		t.Fatalf("decode re-encoded: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("round trip changed the entities:\nfirst:  %#v\nsecond: %#v", first, second)
	}
}

func TestYAMLAuthoringConveniences(t *testing.T) {
	blocks := `
kind: WorkBlock
name: Implementation
inputs: [{name: task}]
outputs: [{name: pull_request_url}]
---
kind: work_block
name: Code Review
version: 2
id: 0b9e4b8a-3c55-4c5e-9a57-6d1f4b0b2a11
inputs: [{name: pull_request_url}]
outputs: [{name: verdict}]
`
	flows := `
- kind: Flow
  name: Sprint
  nodes:
    - {alias: impl, block: Implementation@1}
    - {alias: review, block: "Code Review@2"}
    - {id: 5c1d7c1e-0c3b-4d7f-8a43-0f3f8f8f2d10, block: "0b9e4b8a-3c55-4c5e-9a57-6d1f4b0b2a11@2"}
  edges:
    - {to: impl}
    - from: impl
      to: review
      condition: {description: approved, predicate: {cel: "outputs.ok == true"}}
    - {from: null, to: review, condition: a person says so}
`
	contracts := `
kind: Contract
name: Launch
work_flows: [Sprint@1, {flow: Sprint@1, alias: again}]
required_outcomes: [{name: Shipped}]
assessment_bindings:
  - {required_outcome: Shipped, assessment_flow: Sprint@1, test_flows: [Sprint@1]}
`
	cat, err := LoadFiles(File{"blocks.yaml", []byte(blocks)}, File{"flows.yml", []byte(flows)}, File{"contracts.yaml", []byte(contracts)})
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	impl, _ := cat.LookupWorkBlock("Implementation@1")
	if impl.ID != DeriveID(KindWorkBlock, "Implementation") || impl.Version != 1 {
		t.Errorf("Implementation id/version = %s v%d; want derived id, version 1", impl.ID, impl.Version)
	}
	if impl.ID != uuid.NewSHA1(Namespace(), []byte("work_block:Implementation")) {
		t.Error("DeriveID is not UUIDv5 of kind:name in the openoma namespace")
	}
	review, _ := cat.LookupWorkBlock("Code Review@2")
	flow, _ := cat.LookupFlow("Sprint@1")
	want := []NodeReference{
		{ID: DeriveNodeID(flow.ID, "impl"), TargetID: impl.ID, TargetVersion: 1, Alias: "impl", Metadata: Metadata{}},
		{ID: DeriveNodeID(flow.ID, "review"), TargetID: review.ID, TargetVersion: 2, Alias: "review", Metadata: Metadata{}},
		{ID: uuid.MustParse("5c1d7c1e-0c3b-4d7f-8a43-0f3f8f8f2d10"), TargetID: review.ID, TargetVersion: 2, Metadata: Metadata{}},
	}
	if !reflect.DeepEqual(flow.Nodes, want) {
		t.Errorf("nodes =\n%+v\nwant\n%+v", flow.Nodes, want)
	}
	if e := flow.Edges[1]; e.SourceID != want[0].ID || e.TargetID != want[1].ID || e.Condition.Predicate["cel"] != "outputs.ok == true" {
		t.Errorf("edge 1 = %+v", e)
	}
	if e := flow.Edges[2]; !e.IsEntry() || e.Condition.Description != "a person says so" {
		t.Errorf("edge 2 = %+v; want an entry edge with a description-only condition", e)
	}
	k, _ := cat.LookupContract("Launch@1")
	if k.RequiredOutcomes[0].ID != DeriveOutcomeID(k.ID, "Shipped") {
		t.Error("outcome id is not derived from contract id and name")
	}
	b := k.AssessmentBindings[0]
	if b.RequiredOutcomeID != k.RequiredOutcomes[0].ID || b.AssessmentFlowID != flow.ID || b.AssessmentFlowVersion != 1 ||
		len(b.TestFlowRefs) != 1 || b.TestFlowRefs[0].FlowID != flow.ID {
		t.Errorf("binding = %+v", b)
	}
	if len(k.WorkFlows) != 2 || k.WorkFlows[1].Alias != "again" || k.WorkFlows[0].FlowID != flow.ID {
		t.Errorf("work flows = %+v", k.WorkFlows)
	}

	// Reloading gives the same ids.
	again, err := LoadFiles(File{"blocks.yaml", []byte(blocks)}, File{"flows.yml", []byte(flows)}, File{"contracts.yaml", []byte(contracts)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Entities(), cat.Entities()) {
		t.Error("reloading the same files gave different entities")
	}
}

func TestExampleLoads(t *testing.T) {
	cat, err := Load("../examples/q3-launch")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if b, f, c := cat.Counts(); b != 18 || f != 8 || c != 2 {
		t.Errorf("counts = %d blocks, %d flows, %d contracts; want 18, 8, 2 (examples/q3-launch)", b, f, c)
	}
	v1, err1 := cat.LookupWorkBlock("Code Review@1")
	v2, err2 := cat.LookupWorkBlock("Code Review@2")
	if err1 != nil || err2 != nil || v1.ID != v2.ID {
		t.Errorf("Code Review v1 and v2 should share an id: %v %v", err1, err2)
	}
	sprint, err := cat.LookupFlow("Engineering Sprint Cycle@1")
	if err != nil {
		t.Fatal(err)
	}
	impl, _ := cat.LookupWorkBlock("Implementation@1")
	primary, _ := sprint.NodeByAlias("impl-primary")
	fast, _ := sprint.NodeByAlias("impl-fast-track")
	if primary.TargetID != impl.ID || fast.TargetID != impl.ID || primary.ID == fast.ID {
		t.Error("the two implementation slots should point at one block with distinct slot ids")
	}
	for _, name := range []string{"Release Verification@1", "CSAT Evaluator@1", "Uptime Monitor Assessment@1"} {
		f, err := cat.LookupFlow(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.TerminalNodes()); n != 1 {
			t.Errorf("assessment flow %s has %d terminal nodes; want 1", name, n)
		}
	}
	launch, err := cat.LookupContract("Q3 Product Launch@1")
	if err != nil {
		t.Fatal(err)
	}
	sla, _ := cat.LookupContract("Infrastructure SLA@1")
	if len(launch.SubContracts) != 1 || launch.SubContracts[0].ContractID != sla.ID {
		t.Errorf("sub_contracts = %+v", launch.SubContracts)
	}
	for _, b := range launch.AssessmentBindings {
		if _, ok := launch.RequiredOutcome(b.RequiredOutcomeID); !ok {
			t.Errorf("binding %+v names no outcome of its contract", b)
		}
		if _, ok := cat.Flow(b.AssessmentFlowID, b.AssessmentFlowVersion); !ok {
			t.Errorf("binding %+v names a flow not in the catalog", b)
		}
	}
	// Every shell block carries a script or an argv for the shell plugin.
	for _, b := range cat.WorkBlocks() {
		for _, h := range b.ExecutionHints {
			if h != "shell" {
				continue
			}
			sh, _ := b.Metadata["shell"].(map[string]any)
			if sh["script"] == nil && sh["argv"] == nil {
				t.Errorf("%s has the shell hint but no shell.script or shell.argv", b.Describe())
			}
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b/block.yml", "kind: work_block\nname: B\n")
	write("a/flow.json", `{"name": "F", "nodes": [{"alias": "n", "block": "B@1"}], "edges": [{"to": "n"}]}`)
	write("notes.txt", "not a definition")
	write("README.md", "# not a definition")
	write(".git/config.yaml", "this: [is not loaded")
	write("c/contract.YAML", "kind: contract\nname: C\nwork_flows: [F@1]\n")

	cat, err := Load(dir, filepath.Join(dir, "b/block.yml")) // the block file twice: read once
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if b, f, c := cat.Counts(); b != 1 || f != 1 || c != 1 {
		t.Errorf("counts = %d, %d, %d; want 1, 1, 1", b, f, c)
	}
	if src := cat.Source(KindFlow, cat.Flows()[0].Ref()); src.File != filepath.Join(dir, "a/flow.json") || src.Line != 1 {
		t.Errorf("flow source = %+v", src)
	}

	_, err = Load(filepath.Join(dir, "missing"), filepath.Join(dir, "notes.txt"))
	wantErrors(t, err,
		"missing: cannot read: no such file or directory",
		"notes.txt: not a definition file: the name must end in .yaml, .yml or .json",
	)
}

// wantErrors checks that err is an ErrorList whose messages end with want,
// in order.
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) is not an ErrorList", err, err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, e := range list {
		if !strings.HasSuffix(e.Error(), want[i]) {
			t.Errorf("error %d =\n  %s\nwant it to end with\n  %s", i, e.Error(), want[i])
		}
	}
}
