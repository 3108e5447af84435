package build_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/build"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

func errorTexts(err error) []string {
	var out []string
	for _, e := range build.Errors(err) {
		out = append(out, e.Error())
	}
	return out
}

func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	got := errorTexts(err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func mustBlock(t *testing.T, b *build.WorkBlockBuilder) core.WorkBlock {
	t.Helper()
	out, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWorkBlock(t *testing.T) {
	id := uuid.MustParse("11111111-1111-1111-1111-111111111111")
	b := mustBlock(t, build.WorkBlock("Code Review").
		ID(id).Version(3).Description("Review a PR").
		Input("pull_request_url", "URL", build.Schema(map[string]any{"type": "string"}), build.PortMeta("media", "text/uri-list")).
		OptionalInput("review_checklist", "Criteria").
		Output("verdict", "Verdict").
		Output("comments", "Comments", build.Optional()).
		Hint("github-access", "codebase-read").
		Meta("team", "web"))
	want := core.WorkBlock{ID: id, Version: 3, Name: "Code Review", Description: "Review a PR",
		Inputs: []core.PortDescriptor{
			{Name: "pull_request_url", Description: "URL", Required: true, Schema: map[string]any{"type": "string"}, Metadata: core.Metadata{"media": "text/uri-list"}},
			{Name: "review_checklist", Description: "Criteria"},
		},
		Outputs: []core.PortDescriptor{
			{Name: "verdict", Description: "Verdict", Required: true},
			{Name: "comments", Description: "Comments"},
		},
		ExecutionHints: []string{"github-access", "codebase-read"},
		Metadata:       core.Metadata{"team": "web"},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got  %+v\nwant %+v", b, want)
	}
}

func TestWorkBlockDefaultsAndValidation(t *testing.T) {
	a := mustBlock(t, build.WorkBlock("A"))
	b := mustBlock(t, build.WorkBlock("A"))
	if a.ID == uuid.Nil || a.ID == b.ID || a.Version != 1 {
		t.Errorf("want fresh random ids and version 1, got %s/%s v%d", a.ID, b.ID, a.Version)
	}
	_, err := build.WorkBlock("").Version(0).Input("x", "").Input("x", "").Output("", "").Build()
	wantErrors(t, err,
		`block "" v0: version: must be 1 or more (versions start at 1), got 0`,
		`block "" v0: name: must not be empty`,
		`block "" v0: inputs[1].name: "x" is already the name of inputs[0]; port names must be unique`,
		`block "" v0: outputs[0].name: must not be empty`)
}

func TestBuildReturnsACopy(t *testing.T) {
	wb := build.WorkBlock("A").Input("x", "").Meta("k", "v")
	first := mustBlock(t, wb)
	wb.Meta("k", "changed").Input("y", "")
	if first.Metadata["k"] != "v" || len(first.Inputs) != 1 {
		t.Errorf("changing the builder changed a built block: %+v", first)
	}

	fb := build.Flow("F").Add(first, "a").Entry("a", build.When("go"), build.Map("in", "x"))
	f1, err := fb.Build()
	if err != nil {
		t.Fatal(err)
	}
	f1.Edges[0].Condition.Description = "mutated"
	f1.Edges[0].PortMappings[0].SourcePort = "mutated"
	f2, err := fb.Build()
	if err != nil {
		t.Fatal(err)
	}
	if f2.Edges[0].Condition.Description != "go" || f2.Edges[0].PortMappings[0].SourcePort != "in" {
		t.Errorf("a built flow shares edges with the builder: %+v", f2.Edges[0])
	}
	if f1.ID != f2.ID || f1.Nodes[0].ID != f2.Nodes[0].ID {
		t.Error("building twice should keep the flow's and nodes' ids")
	}
}

func TestFlowBuilder(t *testing.T) {
	impl := mustBlock(t, build.WorkBlock("Implementation").Input("task", "").Output("pull_request_url", ""))
	review := mustBlock(t, build.WorkBlock("Code Review").Input("pull_request_url", "").Output("verdict", ""))
	nodeID := uuid.MustParse("22222222-2222-2222-2222-222222222222")
	f, err := build.Flow("Sprint").Version(2).Description("d").ExpectedOutcome(map[string]any{"goal": "ship"}).Meta("team", "eng").
		// Edges may be declared before the nodes they join.
		Edge("impl", "review", build.Map("pull_request_url", "pull_request_url"),
			build.Condition(core.Condition{Description: "has a PR", Predicate: map[string]any{"cel": "has(outputs.pull_request_url)"}})).
		Add(impl, "impl", build.NodeID(nodeID), build.NodeMeta("lane", "primary")).
		Add(review, "review").
		Entry("impl", build.Map("task", "task")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 || f.Description != "d" || f.Metadata["team"] != "eng" || f.ExpectedOutcome.(map[string]any)["goal"] != "ship" {
		t.Errorf("flow header not as set: %+v", f)
	}
	if n := f.Nodes[0]; n.ID != nodeID || n.Metadata["lane"] != "primary" || n.TargetID != impl.ID || n.TargetVersion != 1 {
		t.Errorf("node not as set: %+v", n)
	}
	e := f.Edges[0]
	if e.SourceID != nodeID || e.TargetID != f.Nodes[1].ID || e.Condition.Predicate["cel"] != "has(outputs.pull_request_url)" {
		t.Errorf("edge not as declared: %+v", e)
	}
	if !f.Edges[1].IsEntry() || f.Edges[1].TargetID != nodeID {
		t.Errorf("entry not as declared: %+v", f.Edges[1])
	}
}

func TestFlowBuilderMistakes(t *testing.T) {
	impl := mustBlock(t, build.WorkBlock("Implementation").Input("task", "").Output("pull_request_url", ""))
	changed := impl
	changed.Description = "same id and version, different content"
	unpinned := impl
	unpinned.Version = 0
	tests := []struct {
		name string
		fb   *build.FlowBuilder
		want []string
	}{
		{"empty alias", build.Flow("F").Add(impl, "").Add(impl, "a").Entry("a"), []string{
			`flow "F" v1: Add(block "Implementation" v1, ""): an alias is needed, so that edges can refer to the node`}},
		{"changed block under one version", build.Flow("F").Add(impl, "a").Add(changed, "b").Entry("a"), []string{
			`flow "F" v1: Add(block "Implementation" v1, "b"): another block with id ` + impl.ID.String() + ` and version 1 was added before (block "Implementation" v1); a new version needs a new version number`}},
		{"unknown aliases", build.Flow("F").Add(impl, "a").Entry("b").Edge("x", "a"), []string{
			`flow "F" v1: Entry("b"): no node has the alias "b" (aliases: "a")`,
			`flow "F" v1: Edge("x", "a"): no node has the alias "x" (aliases: "a")`}},
		{"validation paths name the call", build.Flow("F").Add(unpinned, "a").Entry("a", build.Map("t", "tsk")), []string{
			`flow "F" v1: Add(block "Implementation" v0, "a").target_version: must pin a block version (1 or more), got 0`}},
		{"empty condition and bad predicate", build.Flow("F").Add(impl, "a").Add(impl, "b").
			Entry("a", build.Condition(core.Condition{})).Edge("a", "b", build.CEL("outputs.pull_request_url ==")), []string{
			`flow "F" v1: Entry("a").condition: needs a description or a predicate (omit the condition for an unconditional edge)`,
			`flow "F" v1: Edge("a", "b").condition.predicate: condition does not compile: 1:28: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`}},
		{"validation options", build.Flow("F").Add(impl, "a").Add(impl, "b").Edge("a", "b").Edge("b", "a").Entry("a").
			Validate(validate.RequireRunnable()), []string{
			`flow "F" v1: Edge("b", "a"): closes the cycle "a" → "b" → "a", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`}},
		{"assessment option", build.Flow("F").Add(impl, "a").Add(impl, "b").Entry("a").Entry("b").Validate(validate.AsAssessment()), []string{
			`flow "F" v1: nodes: an assessment flow must have exactly one terminal node; this one has 2: "a", "b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.fb.Build()
			wantErrors(t, err, tt.want...)
		})
	}
}

func TestContractBuilder(t *testing.T) {
	blk := mustBlock(t, build.WorkBlock("Check").Input("x", "").Output("ok", ""))
	one, err := build.Flow("One").Add(blk, "only").Entry("only").Build()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := build.Contract("Sub").Outcome("up", "").Build()
	if err != nil {
		t.Fatal(err)
	}
	outcomeID := uuid.MustParse("33333333-3333-3333-3333-333333333333")
	k, err := build.Contract("Main").Version(4).Description("d").Meta("owner", "pm").
		// Assessments may name outcomes declared later.
		Assess("shipped", one, build.TestFlow(one, build.Alias("smoke")), build.BindingMeta("weight", 2)).
		WorkFlow(one, build.Alias("work"), build.RefMeta("cadence", "weekly")).
		SubContract(sub, build.Alias("infra")).
		Outcome("shipped", "Feature shipped", build.OutcomeID(outcomeID), build.OutcomeMeta("kpi", true)).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if k.Version != 4 || k.Description != "d" || k.Metadata["owner"] != "pm" {
		t.Errorf("contract header not as set: %+v", k)
	}
	if r := k.WorkFlows[0]; r.FlowID != one.ID || r.FlowVersion != 1 || r.Alias != "work" || r.Metadata["cadence"] != "weekly" {
		t.Errorf("work flow ref: %+v", r)
	}
	if r := k.SubContracts[0]; r.ContractID != sub.ID || r.ContractVersion != 1 || r.Alias != "infra" {
		t.Errorf("sub-contract ref: %+v", r)
	}
	if o := k.RequiredOutcomes[0]; o.ID != outcomeID || o.Metadata["kpi"] != true {
		t.Errorf("outcome: %+v", o)
	}
	b := k.AssessmentBindings[0]
	if b.RequiredOutcomeID != outcomeID || b.AssessmentFlowID != one.ID || b.TestFlowRefs[0].Alias != "smoke" || b.Metadata["weight"] != 2 {
		t.Errorf("binding: %+v", b)
	}
}

func TestContractBuilderMistakes(t *testing.T) {
	blk := mustBlock(t, build.WorkBlock("Check").Output("ok", ""))
	one, _ := build.Flow("One").Add(blk, "only").Entry("only").Build()
	changed := one
	changed.Description = "changed without a new version"
	selfID := uuid.MustParse("44444444-4444-4444-4444-444444444444")
	self, _ := build.Contract("Self").ID(selfID).Build()
	tests := []struct {
		name string
		cb   *build.ContractBuilder
		want []string
	}{
		{"changed flow under one version", build.Contract("C").WorkFlow(one).WorkFlow(changed), []string{
			`contract "C" v1: WorkFlow(flow "One" v1): a different definition with id ` + one.ID.String() + ` and version 1 was added before; a changed definition needs a new version number`}},
		{"unknown outcome", build.Contract("C").Outcome("a", "").Assess("b", one), []string{
			`contract "C" v1: Assess("b", flow "One" v1): no required outcome is named "b" (outcomes: "a")`}},
		{"duplicate outcome names", build.Contract("C").Outcome("a", "").Outcome("a", ""), []string{
			`contract "C" v1: required_outcomes[1].name: "a" is already the name of required_outcomes[0]; outcome names must be unique`}},
		{"includes itself", build.Contract("Self").ID(selfID).SubContract(self), []string{
			`contract "Self" v1: sub_contracts[0]: circular sub-contract inclusion "Self" v1 → "Self" v1; a contract may not include itself, directly or through its sub-contracts`}},
		{"unpinned flow", build.Contract("C").WorkFlow(one.NextVersion()).WorkFlow(core.Flow{Name: "Zero"}), []string{
			`contract "C" v1: work_flows[1].flow_id: must name a flow by its id`,
			`contract "C" v1: work_flows[1].flow_version: must pin a flow version (1 or more), got 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cb.Build()
			wantErrors(t, err, tt.want...)
		})
	}
}
