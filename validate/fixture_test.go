package validate_test

import (
	"encoding/binary"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

// fixture is a small valid organisation, after the spec's §6 example, with
// fixed ids so error texts are stable. Tests take a fresh one and break it.
type fixture struct {
	triage, impl, review, verdict core.WorkBlock
	sprint, release               core.Flow
	launch, infra                 core.Contract
}

func id(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-%012d", n))
}

// seqID is a cheap distinct id for large generated flows.
func seqID(n int) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], uint64(n))
	u[0] = 0xff // apart from the fixture's ids
	return u
}

func port(name string) core.PortDescriptor {
	return core.PortDescriptor{Name: name, Description: name, Required: true}
}

// Node ids: 101.. in the sprint flow, 201.. in the release flow.
func newFixture() *fixture {
	fx := &fixture{}
	fx.triage = core.WorkBlock{ID: id(1), Version: 1, Name: "Ticket Triage",
		Inputs: []core.PortDescriptor{port("ticket_id")}, Outputs: []core.PortDescriptor{port("approved"), port("task")}}
	fx.impl = core.WorkBlock{ID: id(2), Version: 1, Name: "Implementation",
		Inputs: []core.PortDescriptor{port("task")}, Outputs: []core.PortDescriptor{port("pull_request_url")}}
	fx.review = core.WorkBlock{ID: id(3), Version: 1, Name: "Code Review",
		Inputs: []core.PortDescriptor{port("pull_request_url"), port("review_checklist")}, Outputs: []core.PortDescriptor{port("verdict"), port("comments")},
		ExecutionHints: []string{"github-access"}}
	fx.verdict = core.WorkBlock{ID: id(4), Version: 1, Name: "Produce Release Verdict",
		Inputs: []core.PortDescriptor{port("verdict")}, Outputs: []core.PortDescriptor{port("shipped")}}

	node := func(n int, b core.WorkBlock, alias string) core.NodeReference {
		return core.NodeReference{ID: id(n), TargetID: b.ID, TargetVersion: b.Version, Alias: alias}
	}
	fx.sprint = core.Flow{ID: id(10), Version: 1, Name: "Engineering Sprint Cycle",
		Nodes: []core.NodeReference{
			node(101, fx.triage, "triage"),
			node(102, fx.impl, "impl-primary"),
			node(103, fx.review, "review"),
			node(104, fx.impl, "impl-fast-track"),
		},
		Edges: []core.Edge{
			{TargetID: id(101), PortMappings: []core.PortMapping{{SourcePort: "ticket", TargetPort: "ticket_id"}}},
			{SourceID: id(101), TargetID: id(102),
				Condition:    &core.Condition{Description: "ticket is approved", Predicate: map[string]any{"cel": "outputs.approved == true"}},
				PortMappings: []core.PortMapping{{SourcePort: "task", TargetPort: "task"}}},
			{SourceID: id(101), TargetID: id(104), Condition: &core.Condition{Description: "ticket is fast-track"}},
			{SourceID: id(102), TargetID: id(103), PortMappings: []core.PortMapping{{SourcePort: "pull_request_url", TargetPort: "pull_request_url"}}},
			{SourceID: id(104), TargetID: id(103)},
		},
	}
	fx.release = core.Flow{ID: id(20), Version: 1, Name: "Release Verification",
		Nodes: []core.NodeReference{node(201, fx.review, "check"), node(202, fx.verdict, "verdict")},
		Edges: []core.Edge{
			{TargetID: id(201)},
			{SourceID: id(201), TargetID: id(202), PortMappings: []core.PortMapping{{SourcePort: "verdict", TargetPort: "verdict"}}},
		},
	}
	fx.infra = core.Contract{ID: id(40), Version: 1, Name: "Infrastructure SLA",
		RequiredOutcomes: []core.RequiredOutcome{{ID: id(401), Name: "99.9% uptime"}},
	}
	fx.launch = core.Contract{ID: id(30), Version: 1, Name: "Q3 Product Launch",
		WorkFlows:        []core.FlowReference{{FlowID: fx.sprint.ID, FlowVersion: 1, Alias: "sprint"}},
		SubContracts:     []core.ContractReference{{ContractID: fx.infra.ID, ContractVersion: 1}},
		RequiredOutcomes: []core.RequiredOutcome{{ID: id(301), Name: "Feature X shipped"}, {ID: id(302), Name: "CSAT at least 4.5"}},
		AssessmentBindings: []core.AssessmentBinding{{RequiredOutcomeID: id(301), AssessmentFlowID: fx.release.ID, AssessmentFlowVersion: 1,
			TestFlowRefs: []core.FlowReference{{FlowID: fx.sprint.ID, FlowVersion: 1}}}},
	}
	return fx
}

// catalog puts every definition of fx in a catalog, each "from" a file
// named after its kind, so errors show file names.
func (fx *fixture) catalog() *core.Catalog {
	cat := core.NewCatalog()
	for i, b := range []core.WorkBlock{fx.triage, fx.impl, fx.review, fx.verdict} {
		must(cat.AddWorkBlock(b, core.Source{File: "blocks.yaml", Line: 1 + 10*i}))
	}
	must(cat.AddFlow(fx.sprint, core.Source{File: "flows/sprint.yaml", Line: 1}))
	must(cat.AddFlow(fx.release, core.Source{File: "flows/release.yaml", Line: 1}))
	must(cat.AddContract(fx.launch, core.Source{File: "contracts.yaml", Line: 1}))
	must(cat.AddContract(fx.infra, core.Source{File: "contracts.yaml", Line: 30}))
	return cat
}

func must(err error) {
	if err != nil {
		panic(err) // a broken fixture is a bug in the test itself
	}
}
