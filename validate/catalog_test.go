package validate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// errorLines returns the text of each problem in err, one per element.
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	list := validate.Errors(err)
	if list == nil {
		t.Fatalf("error %v (%T) is not a core.ErrorList", err, err)
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}

func checkLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestCatalogValid(t *testing.T) {
	fx := newFixture()
	if err := validate.Catalog(fx.catalog(), validate.RequireRunnable()); err != nil {
		t.Fatalf("valid fixture: %v", err)
	}
}

// TestCatalogInvariants breaks the fixture one way at a time and checks the
// exact error text a person would read.
func TestCatalogInvariants(t *testing.T) {
	const (
		sprint  = `flows/sprint.yaml:1: flow "Engineering Sprint Cycle" v1: `
		release = `flows/release.yaml:1: flow "Release Verification" v1: `
		launch  = `contracts.yaml:1: contract "Q3 Product Launch" v1: `
		infra   = `contracts.yaml:30: contract "Infrastructure SLA" v1: `
	)
	tests := []struct {
		name   string
		break_ func(fx *fixture)
		want   []string
	}{
		// Invariant 1: assessment terminal constraint.
		{"1 assessment flow with two terminal nodes", func(fx *fixture) {
			fx.release.Nodes = append(fx.release.Nodes, core.NodeReference{ID: id(203), TargetID: fx.impl.ID, TargetVersion: 1, Alias: "notify"})
			fx.release.Edges = append(fx.release.Edges, core.Edge{SourceID: id(201), TargetID: id(203)})
		}, []string{
			launch + `assessment_bindings[0].assessment_flow_id: flow "Release Verification" v1 is used as an assessment flow, which must have exactly one terminal node; it has 2: "verdict", "notify"`,
		}},
		{"1 assessment flow with no terminal node", func(fx *fixture) {
			fx.release.Edges = append(fx.release.Edges, core.Edge{SourceID: id(202), TargetID: id(201)})
		}, []string{
			release + `edges[2]: closes the cycle "check" → "verdict" → "check", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back`,
			launch + `assessment_bindings[0].assessment_flow_id: flow "Release Verification" v1 is used as an assessment flow, which must have exactly one terminal node; it has none (every node has an outgoing edge)`,
		}},
		// Invariant 2: version pinning.
		{"2 entity version zero", func(fx *fixture) { fx.triage.Version = 0; fx.sprint.Nodes[0].TargetVersion = 0 }, []string{
			`blocks.yaml:1: block "Ticket Triage" v0: version: must be 1 or more (versions start at 1), got 0`,
			sprint + `nodes[0].target_version: must pin a block version (1 or more), got 0`,
		}},
		{"2 node pins a missing block version", func(fx *fixture) { fx.sprint.Nodes[1].TargetVersion = 3 }, []string{
			sprint + `nodes[1].target_version: block "Implementation" v3 is not in the catalog (versions available: 1)`,
		}},
		{"2 node names an unknown block", func(fx *fixture) { fx.sprint.Nodes[1].TargetID = id(999) }, []string{
			sprint + `nodes[1].target_id: no block with id 00000000-0000-0000-0000-000000000999 in the catalog`,
		}},
		{"2 contract references unpinned", func(fx *fixture) {
			fx.launch.WorkFlows[0].FlowVersion = 0
			fx.launch.SubContracts[0].ContractVersion = -1
			fx.launch.AssessmentBindings[0].AssessmentFlowVersion = 0
			fx.launch.AssessmentBindings[0].TestFlowRefs[0].FlowID = uuid.Nil
		}, []string{
			launch + `work_flows[0].flow_version: must pin a flow version (1 or more), got 0`,
			launch + `sub_contracts[0].contract_version: must pin a contract version (1 or more), got -1`,
			launch + `assessment_bindings[0].assessment_flow_version: must pin a flow version (1 or more), got 0`,
			launch + `assessment_bindings[0].test_flow_refs[0].flow_id: must name a flow by its id`,
		}},
		{"2 contract references missing versions", func(fx *fixture) {
			fx.launch.WorkFlows[0].FlowVersion = 2
			fx.launch.SubContracts[0].ContractVersion = 5
			fx.launch.AssessmentBindings[0].AssessmentFlowID = id(998)
		}, []string{
			launch + `work_flows[0].flow_version: flow "Engineering Sprint Cycle" v2 is not in the catalog (versions available: 1)`,
			launch + `sub_contracts[0].contract_version: contract "Infrastructure SLA" v5 is not in the catalog (versions available: 1)`,
			launch + `assessment_bindings[0].assessment_flow_id: no flow with id 00000000-0000-0000-0000-000000000998 in the catalog`,
		}},
		// Invariant 3: no circular sub-contract inclusion.
		{"3 contract includes itself", func(fx *fixture) {
			fx.infra.SubContracts = []core.ContractReference{{ContractID: fx.infra.ID, ContractVersion: 1}}
		}, []string{
			infra + `sub_contracts[0]: circular sub-contract inclusion "Infrastructure SLA" v1 → "Infrastructure SLA" v1; a contract may not include itself, directly or through its sub-contracts`,
		}},
		{"3 contract includes itself transitively", func(fx *fixture) {
			fx.infra.SubContracts = []core.ContractReference{{ContractID: fx.launch.ID, ContractVersion: 1}}
		}, []string{
			// Reported once, on the contract whose reference closes the cycle.
			launch + `sub_contracts[0]: circular sub-contract inclusion "Infrastructure SLA" v1 → "Q3 Product Launch" v1 → "Infrastructure SLA" v1; a contract may not include itself, directly or through its sub-contracts`,
		}},
		// Invariant 4: NodeReference uniqueness.
		{"4 duplicate node id", func(fx *fixture) { fx.sprint.Nodes[3].ID = id(102) }, []string{
			sprint + `nodes[3].id: node id 00000000-0000-0000-0000-000000000102 is already used by nodes[1]; node ids must be unique within a flow`,
			sprint + `edges[2].target_id: no node with id 00000000-0000-0000-0000-000000000104 in this flow`,
			sprint + `edges[4].source_id: no node with id 00000000-0000-0000-0000-000000000104 in this flow`,
			sprint + `nodes[3]: node "impl-fast-track" is not reachable from any entry edge, so it would never run`,
		}},
		{"4 node without id", func(fx *fixture) { fx.release.Nodes[0].ID = uuid.Nil; fx.release.Edges = fx.release.Edges[1:1] }, []string{
			release + `nodes[0].id: must be set to a UUID`,
			// Runnable, asked for by the test, sees no entry edge.
			release + `edges: the flow has no entry edge (an edge without source_id), so no node can start`,
			launch + `assessment_bindings[0].assessment_flow_id: flow "Release Verification" v1 is used as an assessment flow, which must have exactly one terminal node; it has 2: "check", "verdict"`,
		}},
		// Invariant 5: edge validity.
		{"5 edge to an unknown node", func(fx *fixture) {
			fx.sprint.Edges[3].SourceID = id(555)
			fx.sprint.Edges[4].TargetID = uuid.Nil
		}, []string{
			sprint + `edges[3].source_id: no node with id 00000000-0000-0000-0000-000000000555 in this flow`,
			sprint + `edges[4].target_id: must name a node of this flow`,
			sprint + `nodes[2]: node "review" is not reachable from any entry edge, so it would never run`,
		}},
		// Invariant 9: port mapping validity.
		{"9 source port is not an output", func(fx *fixture) {
			fx.sprint.Edges[3].PortMappings[0].SourcePort = "pr_link"
		}, []string{
			sprint + `edges[3].port_mappings[0].source_port: "pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)`,
		}},
		{"9 target port is not an input", func(fx *fixture) {
			fx.sprint.Edges[3].PortMappings[0].TargetPort = "pr"
			fx.sprint.Edges[0].PortMappings[0].TargetPort = "ticket"
		}, []string{
			sprint + `edges[0].port_mappings[0].target_port: "ticket" is not an input of block "Ticket Triage" v1 (has: ticket_id)`,
			sprint + `edges[3].port_mappings[0].target_port: "pr" is not an input of block "Code Review" v1 (has: pull_request_url, review_checklist)`,
		}},
		{"9 empty and doubly fed ports", func(fx *fixture) {
			fx.sprint.Edges[1].PortMappings = []core.PortMapping{{SourcePort: "", TargetPort: "task"}, {SourcePort: "approved", TargetPort: "task"}, {SourcePort: "task"}}
		}, []string{
			sprint + `edges[1].port_mappings[0].source_port: must not be empty`,
			sprint + `edges[1].port_mappings[2].target_port: must not be empty`,
			sprint + `edges[1].port_mappings[1].target_port: "task" is already fed by port_mappings[0] of this edge; an input takes one value`,
		}},
		// Reference integrity beyond §8.
		{"binding names another contract's outcome", func(fx *fixture) {
			fx.launch.AssessmentBindings[0].RequiredOutcomeID = id(401)
		}, []string{
			launch + `assessment_bindings[0].required_outcome_id: 00000000-0000-0000-0000-000000000401 is not a required outcome of this contract (has: "Feature X shipped", "CSAT at least 4.5")`,
		}},
		{"binding without outcome", func(fx *fixture) { fx.launch.AssessmentBindings[0].RequiredOutcomeID = uuid.Nil }, []string{
			launch + `assessment_bindings[0].required_outcome_id: must name one of this contract's required outcomes`,
		}},
		{"outcomes repeat ids and names", func(fx *fixture) {
			fx.launch.RequiredOutcomes[1].ID = id(301)
			fx.launch.RequiredOutcomes = append(fx.launch.RequiredOutcomes, core.RequiredOutcome{ID: id(303), Name: "Feature X shipped"}, core.RequiredOutcome{})
		}, []string{
			launch + `required_outcomes[1].id: outcome id 00000000-0000-0000-0000-000000000301 is already used by required_outcomes[0]; outcome ids must be unique`,
			launch + `required_outcomes[3].id: must be set to a UUID`,
			launch + `required_outcomes[2].name: "Feature X shipped" is already the name of required_outcomes[0]; outcome names must be unique`,
			launch + `required_outcomes[3].name: must not be empty`,
		}},
		{"reference aliases repeat", func(fx *fixture) {
			fx.launch.WorkFlows = append(fx.launch.WorkFlows, core.FlowReference{FlowID: fx.release.ID, FlowVersion: 1, Alias: "sprint"})
			fx.launch.SubContracts = append(fx.launch.SubContracts, fx.launch.SubContracts[0], fx.launch.SubContracts[0])
			fx.launch.SubContracts[1].Alias, fx.launch.SubContracts[2].Alias = "infra", "infra"
		}, []string{
			launch + `work_flows[1].alias: "sprint" is already the alias of work_flows[0]; flow reference aliases must be unique`,
			launch + `sub_contracts[2].alias: "infra" is already the alias of sub_contracts[1]; sub-contract aliases must be unique`,
		}},
		{"predicate of unknown format", func(fx *fixture) {
			fx.sprint.Edges[1].Condition.Predicate = map[string]any{"jsonlogic": map[string]any{"==": []any{1, 1}}}
		}, []string{
			sprint + `edges[1].condition.predicate: unknown predicate format: keys ["jsonlogic"]; want {"cel": ...}`,
		}},
		{"predicate that does not compile", func(fx *fixture) {
			fx.sprint.Edges[1].Condition.Predicate = map[string]any{"cel": "output.approved"}
			fx.sprint.Edges[2].Condition.Predicate = map[string]any{"cel": "outputs.task + 1"}
		}, []string{
			sprint + `edges[1].condition.predicate: condition does not compile: 1:7: undeclared reference to 'output.approved' (did you mean 'outputs.approved'?)`,
			sprint + `edges[2].condition.predicate: condition is not boolean: expression has type int, want bool`,
		}},
		{"empty condition", func(fx *fixture) { fx.sprint.Edges[2].Condition = &core.Condition{} }, []string{
			sprint + `edges[2].condition: needs a description or a predicate (omit the condition for an unconditional edge)`,
		}},
		{"names, ports and hints", func(fx *fixture) {
			fx.review.Name = " "
			fx.review.Inputs = append(fx.review.Inputs, port("pull_request_url"), port(""))
			fx.review.Outputs[1].Name = "verdict"
			fx.review.ExecutionHints = append(fx.review.ExecutionHints, "")
		}, []string{
			`blocks.yaml:21: block " " v1: name: must not be empty`,
			`blocks.yaml:21: block " " v1: inputs[2].name: "pull_request_url" is already the name of inputs[0]; port names must be unique`,
			`blocks.yaml:21: block " " v1: inputs[3].name: must not be empty`,
			`blocks.yaml:21: block " " v1: outputs[1].name: "verdict" is already the name of outputs[0]; port names must be unique`,
			`blocks.yaml:21: block " " v1: execution_hints[1]: must not be empty`,
		}},
		{"duplicate node alias", func(fx *fixture) { fx.sprint.Nodes[3].Alias = "impl-primary" }, []string{
			sprint + `nodes[3].alias: "impl-primary" is already the alias of nodes[1]; aliases in a flow must be unique`,
		}},
		// Runnable, which the test asks Catalog for.
		// The review → triage edge closes a loop that a condition on
		// impl-primary → review can end: a loop, which validates.
		{"cycle with a condition is a loop", func(fx *fixture) {
			fx.sprint.Edges = append(fx.sprint.Edges, core.Edge{SourceID: id(103), TargetID: id(101)})
		}, nil},
		{"unreachable node", func(fx *fixture) {
			fx.sprint.Nodes = append(fx.sprint.Nodes, core.NodeReference{ID: id(105), TargetID: fx.impl.ID, TargetVersion: 1})
		}, []string{
			sprint + `nodes[4]: node nodes[4] ("Implementation") is not reachable from any entry edge, so it would never run`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture()
			tt.break_(fx)
			err := validate.Catalog(fx.catalog(), validate.RequireRunnable())
			checkLines(t, errorLines(t, err), tt.want)
		})
	}
}

func TestErrorsAreInspectable(t *testing.T) {
	fx := newFixture()
	fx.sprint.Edges[3].PortMappings[0].SourcePort = "pr_link"
	err := validate.Catalog(fx.catalog())
	var fe *core.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(*core.FieldError) failed on %v", err)
	}
	want := core.FieldError{File: "flows/sprint.yaml", Line: 1, Entity: `flow "Engineering Sprint Cycle" v1`,
		Path: "edges[3].port_mappings[0].source_port", Message: `"pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)`}
	if *fe != want {
		t.Errorf("got %+v\nwant %+v", *fe, want)
	}
	if validate.Errors(nil) != nil || validate.Errors(errors.New("x")) != nil {
		t.Error("Errors of a nil or foreign error should be nil")
	}
	if got := validate.Errors(fe); len(got) != 1 || got[0] != fe {
		t.Errorf("Errors(*FieldError) = %v", got)
	}
}
