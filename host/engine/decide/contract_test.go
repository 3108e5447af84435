package decide

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// TestContractDecisions walks contract executions through Contract alone:
// each case is a view and the actions it must give.
func TestContractDecisions(t *testing.T) {
	outcome := tid("outcome")
	k := &core.Contract{
		ID: tid("contract"), Version: 1, Name: "Launch",
		WorkFlows:        []core.FlowReference{{FlowID: tid("build"), FlowVersion: 1}, {FlowID: tid("docs"), FlowVersion: 1}},
		RequiredOutcomes: []core.RequiredOutcome{{ID: outcome, Name: "shipped"}},
		AssessmentBindings: []core.AssessmentBinding{{
			RequiredOutcomeID: outcome, AssessmentFlowID: tid("verify"), AssessmentFlowVersion: 1,
			TestFlowRefs: []core.FlowReference{{FlowID: tid("smoke"), FlowVersion: 1}},
		}},
	}
	id := tid("launch-1")
	work0, work1 := WorkFlowExecutionID(id, 0), WorkFlowExecutionID(id, 1)
	test, assess := TestFlowExecutionID(id, 0, 0), AssessmentFlowExecutionID(id, 0)
	done := func(outputs map[string]map[string]any) Child {
		return Child{State: execution.StateCompleted, Ended: Ended{Outputs: outputs}}
	}
	running := Child{State: execution.StateInProgress}
	cases := []struct {
		name     string
		started  bool
		cancel   *CancelRequest
		children map[uuid.UUID]Child
		records  map[int]AssessmentRecord
		want     []string // one line per action
	}{
		{name: "a new contract starts its work flows", want: []string{"start", "create " + work0.String(), "create " + work1.String()}},
		{name: "work running: nothing to do", started: true, children: map[uuid.UUID]Child{work0: running, work1: running}},
		{name: "a failed work flow cancels the others",
			started: true, children: map[uuid.UUID]Child{work0: {State: execution.StateFailed, Ended: Ended{Reason: "disk full"}}, work1: running},
			want: []string{"cancel " + work1.String()}},
		{name: "once nothing runs the contract ends with the work side's state",
			started: true, children: map[uuid.UUID]Child{
				work0: {State: execution.StateFailed, Ended: Ended{Reason: `failed at node "write"`, Code: "block_failed"}},
				work1: {State: execution.StateCancelled}},
			// A reference to where it failed, not the block's reason again.
			want: []string{`finish failed: work flow ` + tid("build").String() + ` v1 (work_flows[0]) failed at node "write"`}},
		{name: "completed work runs the test flow with the work's outputs",
			started: true, children: map[uuid.UUID]Child{work0: done(map[string]map[string]any{"deploy": {"version": "1.2"}}), work1: done(nil)},
			want: []string{"create " + test.String() + " version=1.2"}},
		{name: "then the assessment flow with the test flow's outputs",
			started: true, children: map[uuid.UUID]Child{work0: done(map[string]map[string]any{"deploy": {"version": "1.2"}}), work1: done(nil),
				test: done(map[string]map[string]any{"smoke": {"passed": true}})},
			want: []string{"create " + assess.String() + " passed=true version=1.2"}},
		{name: "the assessment's terminal output is the verdict, and the contract completes",
			started: true, children: map[uuid.UUID]Child{work0: done(nil), work1: done(nil), test: done(nil),
				assess: done(map[string]map[string]any{"verdict": {"met": true}})},
			want: []string{"assess 0 completed met=true", "finish completed"}},
		{name: "a failed test flow records a result without verdict",
			started: true, children: map[uuid.UUID]Child{work0: done(nil), work1: done(nil), test: {State: execution.StateFailed, Ended: Ended{Reason: "timeout"}}},
			want: []string{"assess 0 skipped", "finish completed"}},
		{name: "a cancel request before any work cancels the contract and starts nothing",
			cancel: &CancelRequest{Reason: "not this quarter"},
			want:   []string{"start", "finish cancelled: not this quarter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := &ContractView{ID: id, Inputs: map[string]any{"release": "q3"}, Started: tc.started, Cancel: tc.cancel,
				Records: tc.records, Children: tc.children}
			if v.Children == nil {
				v.Children = map[uuid.UUID]Child{}
			}
			var got []string
			for _, a := range Contract(core.NewCatalog(), k, v) {
				got = append(got, describeContract(a))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("actions =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func describeContract(a Action) string {
	switch a := a.(type) {
	case RecordStart:
		return "start"
	case CreateChild:
		s := "create " + a.ID.String()
		for _, k := range []string{"passed", "version"} {
			if v, ok := a.Created.Inputs[k]; ok {
				s += " " + k + "=" + js(v)
			}
		}
		return strings.ReplaceAll(s, `"`, "")
	case CancelChild:
		return "cancel " + a.ID.String()
	case RecordAssessment:
		s := "assess " + js(a.Record.BindingIndex) + " " + string(a.Record.State)
		if m, ok := a.Record.Result.(map[string]any); ok {
			s += " met=" + js(m["met"])
		}
		return s
	case Finish:
		s := "finish " + string(a.State)
		if a.Payload.Reason != "" {
			reason := a.Payload.Reason
			if i := strings.LastIndex(reason, ": "); i >= 0 {
				reason = reason[i+2:]
			}
			s += ": " + reason
		}
		return s
	}
	return "?"
}
