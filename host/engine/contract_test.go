package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// contractFixture builds: a sub-contract with one work flow; a contract
// with two work flows and the sub-contract; and one assessment binding
// whose test flow measures the work and whose assessment flow judges the
// measurement against a threshold from the run inputs.
func contractFixture(t *testing.T, cat *core.Catalog, p *fakePlugin) {
	t.Helper()
	single := func(name, blockName string, ins, outs []string, b behaviour) *core.Flow {
		f := newFlow(t, cat, name)
		n := f.node(strings.ToLower(blockName), block(blockName, ins, outs))
		f.edge(uuid.Nil, n, nil)
		p.behaviours[blockName] = b
		return f.add()
	}
	build := single("Build", "Compile", []string{"version"}, []string{"artifact"},
		produce(func(in map[string]any) map[string]any {
			return map[string]any{"artifact": "app-" + in["version"].(string)}
		}))
	docs := single("Docs", "Write", nil, []string{"pages"}, outputs(map[string]any{"pages": 12.0}))
	legal := single("Legal", "Review", nil, []string{"cleared"}, outputs(map[string]any{"cleared": true}))
	test := single("Measure", "Bench", []string{"artifact"}, []string{"latency_ms"},
		produce(func(in map[string]any) map[string]any {
			if in["artifact"] != "app-1.2" {
				return map[string]any{"latency_ms": -1.0}
			}
			return map[string]any{"latency_ms": 180.0}
		}))
	assess := single("Judge", "Compare", []string{"latency_ms", "max_latency_ms", "pages"}, []string{"met", "detail"},
		produce(func(in map[string]any) map[string]any {
			ok := in["latency_ms"].(float64) <= in["max_latency_ms"].(float64)
			return map[string]any{"met": ok, "detail": in["pages"]}
		}))
	sub := core.Contract{
		ID: id("contract/legal"), Version: 1, Name: "Legal clearance",
		WorkFlows: []core.FlowReference{{FlowID: legal.ID, FlowVersion: 1}},
	}
	outcome := core.RequiredOutcome{ID: id("outcome/fast"), Name: "p99 latency under budget"}
	main := core.Contract{
		ID: id("contract/launch"), Version: 1, Name: "Launch",
		WorkFlows:        []core.FlowReference{{FlowID: build.ID, FlowVersion: 1}, {FlowID: docs.ID, FlowVersion: 1}},
		SubContracts:     []core.ContractReference{{ContractID: sub.ID, ContractVersion: 1}},
		RequiredOutcomes: []core.RequiredOutcome{outcome},
		AssessmentBindings: []core.AssessmentBinding{{
			RequiredOutcomeID: outcome.ID, AssessmentFlowID: assess.ID, AssessmentFlowVersion: 1,
			TestFlowRefs: []core.FlowReference{{FlowID: test.ID, FlowVersion: 1}},
		}},
	}
	for _, k := range []core.Contract{sub, main} {
		if err := cat.AddContract(k, core.Source{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestContracts(t *testing.T) {
	tests := []struct {
		name        string
		inputs      map[string]any
		breakWork   bool
		state       execution.State
		met         *bool
		result      map[string]any
		reason      string
		assessState execution.State
	}{
		{
			name:   "work completed and outcome met",
			inputs: map[string]any{"version": "1.2", "max_latency_ms": 200.0},
			state:  execution.StateCompleted, met: ptr(true),
			result:      map[string]any{"met": true, "detail": 12.0},
			assessState: execution.StateCompleted,
		},
		{
			name:   "work completed, outcome not met",
			inputs: map[string]any{"version": "1.2", "max_latency_ms": 100.0},
			state:  execution.StateCompleted, met: ptr(false),
			result:      map[string]any{"met": false, "detail": 12.0},
			assessState: execution.StateCompleted,
		},
		{
			name:      "work failed: no assessment, contract failed",
			inputs:    map[string]any{"version": "1.2", "max_latency_ms": 200.0},
			breakWork: true,
			state:     execution.StateFailed,
			reason:    `work flow "Docs" v1 (work_flows[1]) failed at node "write"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cat := core.NewCatalog()
			p := newFakePlugin("fake", "1")
			contractFixture(t, cat, p)
			if tc.breakWork {
				p.behaviours["Write"] = failing("no ink")
			}
			h := newHarness(t, cat, nil, p)
			cid, err := h.engine.StartContract(context.Background(), "Launch", tc.inputs)
			if err != nil {
				t.Fatalf("StartContract: %v", err)
			}
			if got := h.wait(cid); got != tc.state {
				t.Fatalf("Wait = %s, want %s", got, tc.state)
			}
			r := h.status(cid)
			if r.State != tc.state || r.WorkState != tc.state {
				t.Errorf("state %s, work_state %s, want %s", r.State, r.WorkState, tc.state)
			}
			if !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", r.Reason, tc.reason)
			}
			if len(r.Flows) != 2 || len(r.SubContracts) != 1 {
				t.Fatalf("flows %d, sub-contracts %d; want 2 and 1", len(r.Flows), len(r.SubContracts))
			}
			if tc.breakWork {
				if len(r.Assessments) != 1 || r.Assessments[0].AssessmentFlow != nil || len(r.Assessments[0].TestFlows) != 0 {
					t.Errorf("assessment ran although work failed: %+v", r.Assessments)
				}
				return
			}
			for _, f := range r.Flows {
				if f.State != execution.StateCompleted || f.Role != execution.RoleWork {
					t.Errorf("work flow %s: %s %s", f.Name, f.State, f.Role)
				}
			}
			if sub := r.SubContracts[0]; sub.State != execution.StateCompleted || sub.Name != "Legal clearance" || len(sub.Flows) != 1 {
				t.Errorf("sub-contract = %+v", sub)
			}
			a := r.Assessments[0]
			if a.Outcome != "p99 latency under budget" || a.State != tc.assessState {
				t.Errorf("assessment %q state %s (%s)", a.Outcome, a.State, a.Reason)
			}
			if !jsonEqual(a.Result, tc.result) {
				t.Errorf("result %v, want %v", a.Result, tc.result)
			}
			if a.Met == nil || r.OutcomesMet == nil || *a.Met != *tc.met || *r.OutcomesMet != *tc.met {
				t.Errorf("met %v, outcomes_met %v, want %v", a.Met, r.OutcomesMet, *tc.met)
			}
			if len(a.TestFlows) != 1 || a.TestFlows[0].Role != execution.RoleTest || a.AssessmentFlow.Role != execution.RoleAssessment {
				t.Errorf("test flows %+v, assessment flow %+v", a.TestFlows, a.AssessmentFlow)
			}
			// The contract's terminal event carries the results.
			events, _ := h.store.Events(context.Background(), cid, 0)
			var end Ended
			_ = events[len(events)-1].DecodePayload(&end)
			if len(end.Assessments) != 1 || end.Assessments[0].AssessmentFlowExecutionID != assessmentFlowExecutionID(cid, 0) {
				t.Errorf("terminal payload = %+v", end)
			}
		})
	}
}

func TestStartContractRefusesWhatCannotRun(t *testing.T) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	contractFixture(t, cat, p)
	two := newFlow(t, cat, "TwoEnds")
	two.node("x", block("TX", nil, nil))
	two.node("y", block("TY", nil, nil))
	twoEnds := two.add()
	outcome := core.RequiredOutcome{ID: id("o"), Name: "o"}
	self := core.Contract{ID: id("contract/self"), Version: 1, Name: "Self",
		SubContracts: []core.ContractReference{{ContractID: id("contract/self"), ContractVersion: 1}}}
	badAssess := core.Contract{ID: id("contract/bad"), Version: 1, Name: "Bad",
		RequiredOutcomes: []core.RequiredOutcome{outcome},
		AssessmentBindings: []core.AssessmentBinding{
			{RequiredOutcomeID: outcome.ID, AssessmentFlowID: twoEnds.ID, AssessmentFlowVersion: 1},
			{RequiredOutcomeID: id("other"), AssessmentFlowID: twoEnds.ID, AssessmentFlowVersion: 1},
		}}
	for _, k := range []core.Contract{self, badAssess} {
		if err := cat.AddContract(k, core.Source{}); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, cat, nil, p)
	for ref, want := range map[string][]string{
		"Self": {`contract "Self" v1 includes itself as a sub-contract`},
		"Bad": {`assessment_bindings[0].assessment_flow_id: assessment flow "TwoEnds" v1 has 2 terminal nodes, want exactly one`,
			`assessment_bindings[1].required_outcome_id`},
	} {
		_, err := h.engine.StartContract(context.Background(), ref, nil)
		if err == nil {
			t.Fatalf("StartContract(%s) succeeded", ref)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("StartContract(%s) = %q, want it to contain %q", ref, err, w)
			}
		}
	}
}

func TestCancelContract(t *testing.T) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	contractFixture(t, cat, p)
	p.behaviours["Review"] = hanging
	h := newHarness(t, cat, nil, p)
	cid, err := h.engine.StartContract(context.Background(), "Launch", map[string]any{"version": "1"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sub-contract's block runs", func() bool { return len(p.callsOf("execute")) == 3 })
	if err := h.engine.Cancel(context.Background(), cid, "launch postponed"); err != nil {
		t.Fatal(err)
	}
	if got := h.wait(cid); got != execution.StateCancelled {
		t.Fatalf("contract %s, want cancelled", got)
	}
	r := h.status(cid)
	if r.Reason != "launch postponed" || r.SubContracts[0].State != execution.StateCancelled {
		t.Errorf("reason %q, sub-contract %s", r.Reason, r.SubContracts[0].State)
	}
	if err := h.engine.Cancel(context.Background(), cid, "again"); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("second Cancel = %v, want ErrEnded", err)
	}
}

func ptr[T any](v T) *T { return &v }
