package decide

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

func claimsContract() *core.Contract {
	return &core.Contract{
		ID: tid("contract"), Version: 1, Name: "Launch",
		WorkFlows: []core.FlowReference{
			{FlowID: tid("build"), FlowVersion: 1}, {FlowID: tid("docs"), FlowVersion: 1}, {FlowID: tid("build"), FlowVersion: 1},
		},
		SubContracts: []core.ContractReference{{ContractID: tid("legal"), ContractVersion: 1}},
	}
}

func describeClaims(cs []execution.ExecutionClaim) []string {
	var out []string
	for _, c := range cs {
		rerun := ""
		if c.Rerun {
			rerun = " rerun"
		}
		out = append(out, fmt.Sprintf("%s/%d%s=%s", c.Slot, c.Index, rerun, c.ExecutionID))
	}
	return out
}

func TestClaimWorkFlows(t *testing.T) {
	k := claimsContract()
	b1, b2, b3, d := tid("b1"), tid("b2"), tid("b3"), tid("d")
	build := func(id uuid.UUID, s execution.State) Candidate {
		return Candidate{ID: id, FlowID: tid("build"), FlowVersion: 1, State: s}
	}
	for _, tc := range []struct {
		name       string
		candidates []Candidate
		want       []string
		err        string
	}{
		{name: "a completed flow fills the first work flow of its version",
			candidates: []Candidate{build(b1, execution.StateCompleted)}, want: []string{"work/0=" + b1.String()}},
		{name: "a second one of the same flow fills the next",
			candidates: []Candidate{build(b1, execution.StateCompleted), {ID: d, FlowID: tid("docs"), FlowVersion: 1, State: execution.StateCompleted}, build(b2, execution.StateCompleted)},
			want:       []string{"work/0=" + b1.String(), "work/1=" + d.String(), "work/2=" + b2.String()}},
		{name: "a third has no work flow left",
			candidates: []Candidate{build(b1, execution.StateCompleted), build(b2, execution.StateCompleted), build(b3, execution.StateCompleted)},
			err:        "runs no work flow of contract \"Launch\" v1 left unclaimed"},
		{name: "a failed flow does not count",
			candidates: []Candidate{build(b1, execution.StateFailed)}, err: "is failed: only a completed one counts"},
		{name: "another flow version does not count",
			candidates: []Candidate{{ID: b1, FlowID: tid("build"), FlowVersion: 2, State: execution.StateCompleted}}, err: "runs no work flow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClaimWorkFlows(core.NewCatalog(), k, tc.candidates)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := describeClaims(got); !reflect.DeepEqual(d, tc.want) {
				t.Errorf("claims %v, want %v", d, tc.want)
			}
		})
	}
}

func TestPlanContractRerun(t *testing.T) {
	k := claimsContract()
	old := tid("old")
	earlier := tid("the run old reran")
	v := &ContractView{ID: old, Children: map[uuid.UUID]Child{
		WorkFlowExecutionID(old, 0):    {State: execution.StateCompleted},
		WorkFlowExecutionID(old, 1):    {State: execution.StateFailed},
		WorkFlowExecutionID(old, 2):    {State: execution.StateCompleted}, // claimed by old itself
		SubContractExecutionID(old, 0): {State: execution.StateCancelled},
	}, Claimed: map[uuid.UUID]uuid.UUID{WorkFlowExecutionID(old, 2): earlier}}
	got := describeClaims(PlanContractRerun(k, v))
	want := []string{
		"work/0=" + WorkFlowExecutionID(old, 0).String(),
		"work/1 rerun=" + WorkFlowExecutionID(old, 1).String(),
		"work/2=" + earlier.String(),
		"sub/0 rerun=" + SubContractExecutionID(old, 0).String(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims %v, want %v (completed work claimed, a claim of a claim naming the execution itself; the rest rerun)", got, want)
	}
	// The claimed children fill their slots; the contract creates the
	// others as reruns of the old ones.
	next := tid("new")
	view := &ContractView{ID: next, Started: true, Children: map[uuid.UUID]Child{}, Claimed: map[uuid.UUID]uuid.UUID{}, RerunOf: map[uuid.UUID]uuid.UUID{}}
	for _, c := range PlanContractRerun(k, v) {
		if c.Rerun {
			view.RerunOf[ClaimSlot(next, c)] = c.ExecutionID
			continue
		}
		view.Claimed[ClaimSlot(next, c)] = c.ExecutionID
		view.Children[ClaimSlot(next, c)] = Child{State: execution.StateCompleted}
	}
	var created []string
	for _, a := range Contract(core.NewCatalog(), k, view) {
		if c, ok := a.(CreateChild); ok {
			created = append(created, c.ID.String()+" rerun of "+c.Created.RerunOf.String())
		}
	}
	if want := []string{
		WorkFlowExecutionID(next, 1).String() + " rerun of " + WorkFlowExecutionID(old, 1).String(),
		SubContractExecutionID(next, 0).String() + " rerun of " + SubContractExecutionID(old, 0).String(),
	}; !reflect.DeepEqual(created, want) {
		t.Errorf("created %v, want %v", created, want)
	}
}
