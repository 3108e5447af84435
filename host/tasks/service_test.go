package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/store"
)

func TestListShowAndPrefixes(t *testing.T) {
	f := newFixture(t)
	a := f.task(person("alice"), nil)
	b := f.task(group("reviewers"), nil)
	list, err := f.svc.List(f.ctx, Filter{})

	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != a || list[1].ID != b {
		t.Fatalf("list %+v", list)
	}
	if list[0].State != StateClaimed || list[0].Assignee != "alice" || list[1].State != StateOpen || list[1].CandidateGroups[0] != "reviewers" {
		t.Fatalf("states/holders: %+v / %+v", list[0], list[1])
	}
	if got, _ := f.svc.List(f.ctx, Filter{Assignee: "alice"}); len(got) != 1 || got[0].ID != a {
		t.Errorf("--assignee alice: %+v", got)
	}
	if got, _ := f.svc.List(f.ctx, Filter{Group: "reviewers"}); len(got) != 1 || got[0].ID != b {
		t.Errorf("--group reviewers: %+v", got)
	}
	f.taskWithID(uuid.MustParse("abcd0000-0000-4000-8000-000000000001"), unassigned(), nil)
	f.taskWithID(uuid.MustParse("abcd0000-0000-4000-8000-000000000002"), unassigned(), nil)
	cases := []struct {
		name    string
		id      string
		want    error
		wantMsg string
	}{
		{"full id", a.String(), nil, ""},
		{"prefix", a.String()[:8], nil, ""},
		{"upper case", strings.ToUpper(a.String()[:8]), nil, ""},
		{"too short", a.String()[:3], ErrNotFound, "at least 4 characters"},
		{"unknown", "ffffffffffff", ErrNotFound, "no such task"},
		{"ambiguous", "abcd", ErrAmbiguous, `"abcd" matches abcd0000-0000-4000-8000-000000000001, abcd0000-0000-4000-8000-000000000002; give more of the id`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			got, err := f.svc.Show(f.ctx, id)
			if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Fatalf("Show(%q) = %v, want %v containing %q", id, err, tc.want, tc.wantMsg)
			}
			if tc.want == nil && (got.ID != a || got.Title != "Code Review" || got.Inputs["pull_request_url"] == nil || len(got.Outputs) != 3) {
				t.Fatalf("task %+v", got)
			}
		})
	}
}

func TestCompleteValidatesOutputs(t *testing.T) {
	cases := []struct {
		name     string
		in       CompleteInput
		problems []string
	}{
		{"missing required", CompleteInput{Text: map[string]string{"comments": "fine"}}, []string{`required output "verdict" is missing`}},
		{"null required", CompleteInput{Outputs: map[string]any{"verdict": nil}}, []string{`required output "verdict" is missing`}},
		{"undeclared", CompleteInput{Text: map[string]string{"verdict": "approved", "mood": "good", "extra": "1"}},
			[]string{`output "extra", "mood" not declared by the task (declared: verdict, score, comments)`}},
		{"enum", CompleteInput{Text: map[string]string{"verdict": "maybe"}}, []string{`output "verdict" = "maybe" does not match its schema: at "": value must be one of`}},
		{"nested pointer", CompleteInput{Text: map[string]string{"verdict": "approved", "score": `{"value": -3}`}},
			[]string{`output "score" = {"value":-3} does not match its schema: at "/value": minimum: got -3, want 0`}},
		{"wrong type", CompleteInput{Text: map[string]string{"verdict": "approved", "score": "high"}},
			[]string{`output "score" = "high" does not match its schema: at "": got string, want object`}},
		{"several at once", CompleteInput{Text: map[string]string{"score": "[]", "x": "1"}},
			[]string{`"x" not declared`, `required output "verdict" is missing`, `output "score" = []`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.task(person("alice"), nil)
			before := len(f.log(id))
			_, err := f.svc.Complete(f.ctx, id.String(), tc.in, f.actor("alice", 1001, ""))
			var oe *OutputError
			if !errors.As(err, &oe) || !errors.Is(err, ErrInvalidOutputs) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v, want an OutputError", err)
			}
			for _, p := range tc.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q\ndoes not say %q", err, p)
				}
			}
			if !strings.Contains(err.Error(), "nothing recorded") {
				t.Errorf("error %q must say nothing was recorded", err)
			}
			if after := len(f.log(id)); after != before {
				t.Fatalf("a refused completion appended %d events", after-before)
			}
		})
	}
}

func TestCompleteRecordsThePerson(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"), nil)
	got, err := f.svc.Complete(f.ctx, id.String()[:8], CompleteInput{
		Text:    map[string]string{"verdict": "approved"},
		Outputs: map[string]any{"score": map[string]any{"value": 4}},
	}, f.actor("alice", 1001, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateCompleted || got.Result["verdict"] != "approved" || got.EndedBy.Identifier != "alice" {
		t.Fatalf("task %+v", got)
	}
	events := f.log(id)
	tail := types(events[4:])
	if !slices.Equal(tail, []execution.EventType{execution.EventExecutorAssigned, execution.EventOutcomeProduced, execution.EventCompleted}) {
		t.Fatalf("appended %v", tail)
	}
	for _, ev := range events[4:] {
		x := ev.Executor
		if x.Type != execution.ExecutorHuman || x.Identifier != "alice" || x.Metadata["os_user"] != "alice" || x.Metadata["uid"] != 1001 {
			t.Errorf("%s executor %+v, want human alice with OS user and uid", ev.EventType, x)
		}
	}
	if st := execution.DeriveBlockState(events); st != execution.StateCompleted {
		t.Errorf("block state %s", st)
	}
	// Completing again: the task has ended, and says by whom.
	_, err = f.svc.Complete(f.ctx, id.String(), CompleteInput{Text: map[string]string{"verdict": "approved"}}, f.actor("dave", 1005, ""))
	if !errors.Is(err, ErrEnded) || !strings.Contains(err.Error(), "completed by alice (OS user alice)") {
		t.Fatalf("second completion: %v", err)
	}
}

func TestWhoMayAct(t *testing.T) {
	cases := []struct {
		name    string
		holder  execution.ExecutorInfo
		user    string
		uid     int
		as      string
		wantErr string // "" allowed
	}{
		{"assignee", person("alice"), "alice", 1001, "", ""},
		{"other person", person("alice"), "bob", 1002, "", `task is assigned to "alice"; only alice or an admin (carol) may act on it`},
		{"group member", group("reviewers"), "alice", 1001, "", ""},
		{"group member by uid", group("reviewers"), "1005", 1005, "", ""},
		{"not in group", group("reviewers"), "bob", 1002, "", "is for group reviewers and bob is in group engineering; a member of reviewers or an admin (carol)"},
		{"unmapped user, group task", group("reviewers"), "mallory", 1666, "", "mallory is in no group"},
		{"unassigned: anyone", unassigned(), "mallory", 1666, "", ""},
		{"admin", person("alice"), "carol", 1003, "", ""},
		{"admin as someone", person("alice"), "carol", 1003, "alice", ""},
		{"as oneself", person("alice"), "alice", 1001, "alice", ""},
		{"non-admin as someone", person("alice"), "bob", 1002, "alice", `OS user bob is "bob" and may not act as "alice": only an admin (carol) may act for someone else`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.task(tc.holder, nil)
			raw, _ := json.Marshal(Request{ID: id.String(), As: tc.as, Text: map[string]string{"verdict": "approved"}})
			_, err := f.svc.Handle(f.ctx, VerbComplete, raw, f.caller(tc.user, tc.uid))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				last := f.log(id)[len(f.log(id))-1]
				if tc.as != "" && tc.as != tc.user && (last.Executor.Identifier != tc.as || last.Executor.Metadata["on_behalf_by"] != tc.user || last.Executor.Metadata["os_user"] != tc.user) {
					t.Errorf("acting for someone: executor %+v", last.Executor)
				}
				return
			}
			want := strings.Replace(tc.wantErr, "task is", fmt.Sprintf("task %s is", id.String()[:8]), 1)
			if !errors.Is(err, identity.ErrDenied) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v\nwant denied containing %q", err, want)
			}
			if n := len(f.log(id)); n != 4 {
				t.Errorf("a refused action appended %d events", n-4)
			}
		})
	}
}

func TestConcurrentCompletionsOneWins(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"), nil)
	people := []Actor{f.actor("alice", 1001, ""), f.actor("1005", 1005, ""), f.actor("carol", 1003, "")}
	var wg sync.WaitGroup
	errs := make([]error, len(people))
	for i, a := range people {
		wg.Go(func() {
			_, errs[i] = f.svc.Complete(f.ctx, id.String(), CompleteInput{Text: map[string]string{"verdict": "approved"}}, a)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, ErrConflict) && errors.Is(err, store.ErrConflict):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d completions succeeded (errors %v), want exactly one", wins, errs)
	}
	completed := 0
	for _, ev := range f.log(id) {
		if ev.EventType == execution.EventCompleted {
			completed++
		}
	}
	if completed != 1 {
		t.Fatalf("%d completed events", completed)
	}
}

func TestClaimAndFail(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"), nil)
	got, err := f.svc.Claim(f.ctx, id.String(), f.actor("alice", 1001, ""))
	if err != nil || got.State != StateClaimed || got.Assignee != "alice" {
		t.Fatalf("claim: %+v %v", got, err)
	}
	last := f.log(id)[4]
	if last.EventType != execution.EventExecutorAssigned || last.Executor.Identifier != "alice" || last.Executor.Metadata["claimed"] != true {
		t.Fatalf("claim recorded %+v", last)
	}
	if _, err := f.svc.Claim(f.ctx, id.String(), f.actor("alice", 1001, "")); err != nil || len(f.log(id)) != 5 {
		t.Fatalf("claiming one's own task again must change nothing: %v", err)
	}
	// dave is a reviewer too, but alice holds it now.
	if _, err := f.svc.Claim(f.ctx, id.String(), f.actor("1005", 1005, "")); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), `assigned to "alice"`) {
		t.Fatalf("claim by another reviewer: %v", err)
	}
	if _, err := f.svc.Fail(f.ctx, id.String(), "  ", f.actor("alice", 1001, "")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("fail without reason: %v", err)
	}
	got, err = f.svc.Fail(f.ctx, id.String(), "the PR was closed", f.actor("alice", 1001, ""))
	if err != nil || got.State != StateFailed || !strings.Contains(got.Reason, "the PR was closed (by alice)") {
		t.Fatalf("fail: %+v %v", got, err)
	}
	var fl execution.Failure
	events := f.log(id)
	_ = events[len(events)-1].DecodePayload(&fl)
	if fl.Code != "failed_by_person" {
		t.Errorf("failure %+v", fl)
	}
	if all, _ := f.svc.List(f.ctx, Filter{}); len(all) != 0 {
		t.Errorf("ended task still listed: %+v", all)
	}
	if all, _ := f.svc.List(f.ctx, Filter{All: true}); len(all) != 1 {
		t.Errorf("--all lost the ended task: %+v", all)
	}
}

func TestOverdueAndEscalation(t *testing.T) {
	f := newFixture(t)
	due := f.now.Add(2 * time.Hour)
	late := f.task(person("alice"), &due)
	onTime := f.task(person("alice"), nil)
	if n, err := f.svc.Escalate(f.ctx); err != nil || n != 0 {
		t.Fatalf("before due: escalated %d, %v", n, err)
	}
	f.now = due.Add(30 * time.Minute) // overdue, but not for escalation.after (1h)
	list, _ := f.svc.List(f.ctx, Filter{})
	if !list[0].Overdue || list[1].Overdue {
		t.Fatalf("overdue marks: %v %v", list[0].Overdue, list[1].Overdue)
	}
	if n, _ := f.svc.Escalate(f.ctx); n != 0 {
		t.Fatalf("escalated %d before escalation.after", n)
	}
	f.now = due.Add(2 * time.Hour)
	for round, want := range []int{1, 0} {
		n, err := f.svc.Escalate(f.ctx)
		if err != nil || n != want {
			t.Fatalf("round %d: escalated %d (%v), want %d", round, n, err, want)
		}
	}
	got, _ := f.svc.Show(f.ctx, late.String())
	if !got.Escalated || got.State != StateOpen || got.Assignee != "" || !slices.Equal(got.CandidateGroups, []string{"leads"}) {
		t.Fatalf("escalated task %+v", got)
	}
	last := f.log(late)[len(f.log(late))-1]
	if last.EventType != execution.EventExecutorAssigned || last.Executor.Metadata["escalated"] != true {
		t.Fatalf("escalation recorded %+v", last)
	}
	// alice no longer holds it; a lead would (carol, as admin, may too).
	if _, err := f.svc.Complete(f.ctx, late.String(), CompleteInput{Text: map[string]string{"verdict": "approved"}}, f.actor("alice", 1001, "")); !errors.Is(err, ErrDenied) {
		t.Fatalf("alice after escalation: %v", err)
	}
	if got, _ := f.svc.Show(f.ctx, onTime.String()); got.Escalated {
		t.Fatal("a task without due escalated")
	}
}
