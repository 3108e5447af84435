package manual_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/manual/manual"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

func reviewBlock(meta core.Metadata) core.WorkBlock {
	return core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Code Review", Description: "Review the PR.",
		Inputs: []core.PortDescriptor{{Name: "pull_request_url", Required: true}},
		Outputs: []core.PortDescriptor{
			{Name: "verdict", Required: true, Schema: map[string]any{"type": "string", "enum": []any{"approved", "rejected"}}},
			{Name: "comments", Required: false},
		},
		ExecutionHints: []string{"review"},
		Metadata:       meta,
	}
}

func taskOf(t *testing.T, events []execution.Event) manual.TaskPayload {
	t.Helper()
	for _, ev := range events {
		if ev.EventType != execution.EventProgress {
			continue
		}
		var p manual.TaskPayload
		if err := ev.DecodePayload(&p); err == nil && p.Type == manual.ProgressTask {
			return p
		}
	}
	t.Fatalf("no task progress event in %s", plugintest.Describe(events))
	return manual.TaskPayload{}
}

func TestExecuteRecordsPendingTask(t *testing.T) {
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		meta       core.Metadata
		wantExec   string
		wantKind   string
		wantGroups []string
		wantDue    bool
	}{
		{"person", core.Metadata{"assignee": "alice", "due": "48h"}, "alice", "person", nil, true},
		{"groups list", core.Metadata{"candidate_groups": []any{"reviewers", "leads"}}, "group:reviewers,leads", "group", []string{"reviewers", "leads"}, false},
		{"groups string", core.Metadata{"candidate_groups": "reviewers, leads"}, "group:reviewers,leads", "group", []string{"reviewers", "leads"}, false},
		{"nobody", nil, "unassigned", "unassigned", nil, false},
		{"absolute due", core.Metadata{"due": "2030-01-02T15:04:05Z"}, "unassigned", "unassigned", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := plugintest.New(t, manual.New(manual.Options{Now: func() time.Time { return now }}), plugintest.Options{})
			block := reviewBlock(tc.meta)
			id, err := h.Execute(ctx, block, map[string]any{"pull_request_url": "https://example.invalid/pr/1"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := h.Block(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != execution.StateInProgress {
				t.Fatalf("state %s, want in_progress (a pending task): %s", b.State, plugintest.Describe(b.Events))
			}
			if got := plugintest.Describe(b.Events); got != "1:created 2:executor_assigned 3:started 4:progress 5:progress" {
				t.Fatalf("log %s", got)
			}
			if !sdk.IsWaiting(&b.Events[4]) {
				t.Errorf("the task's last event %s is not a waiting event: its slot would be held", b.Events[4].Payload)
			}
			x := b.Events[1].Executor
			if x.Type != execution.ExecutorHuman || x.Identifier != tc.wantExec || x.Metadata["kind"] != tc.wantKind {
				t.Errorf("executor %+v, want human %q kind %q", x, tc.wantExec, tc.wantKind)
			}
			task := taskOf(t, b.Events)
			if task.Title != "Code Review" || len(task.Outputs) != 2 || task.Outputs[0].Schema["type"] != "string" ||
				task.Inputs["pull_request_url"] != "https://example.invalid/pr/1" {
				t.Errorf("task %+v", task)
			}
			if strings.Join(task.CandidateGroups, ",") != strings.Join(tc.wantGroups, ",") {
				t.Errorf("groups %v, want %v", task.CandidateGroups, tc.wantGroups)
			}
			if (task.Due != nil) != tc.wantDue {
				t.Errorf("due %v, want set=%v", task.Due, tc.wantDue)
			}
			if tc.meta["due"] == "48h" && !task.Due.Equal(b.Events[0].Timestamp.Add(48*time.Hour)) {
				t.Errorf("due %v, want created+48h (%v)", task.Due, b.Events[0].Timestamp)
			}
		})
	}
}

func TestBadMetadataFailsTheBlock(t *testing.T) {
	cases := []struct {
		name string
		meta core.Metadata
		want string
	}{
		{"due", core.Metadata{"due": "tomorrow"}, `block metadata "due": "tomorrow" is neither`},
		{"assignee", core.Metadata{"assignee": 7}, `block metadata "assignee" must be a person's name`},
		{"groups", core.Metadata{"candidate_groups": []any{1}}, `block metadata "candidate_groups": element 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
			id, err := h.Execute(ctx, reviewBlock(tc.meta), map[string]any{"pull_request_url": "x"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := h.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var f execution.Failure
			_ = b.Events[len(b.Events)-1].DecodePayload(&f)
			if b.State != execution.StateFailed || f.Code != "bad_metadata" || !strings.Contains(f.Reason, tc.want) {
				t.Fatalf("state %s failure %+v, want bad_metadata containing %q", b.State, f, tc.want)
			}
		})
	}
}

func TestResumeKeepsThePendingTask(t *testing.T) {
	ctx := context.Background()
	h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
	block := reviewBlock(core.Metadata{"assignee": "alice"})
	id, err := h.Execute(ctx, block, map[string]any{"pull_request_url": "x"})
	if err != nil {
		t.Fatal(err)
	}
	// A fresh plugin process resumes: nothing is appended.
	h2 := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{Store: h.Store})
	if err := h2.Resume(ctx, id, block); err != nil {
		t.Fatal(err)
	}
	// ExecuteBlock repeated (recovery before the host saw the first answer)
	// records nothing twice either.
	node := plugintest.Node(block)
	if _, err := h2.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, Block: block, Node: node, Store: h.Store}); err != nil {
		t.Fatal(err)
	}
	b, _ := h.Block(ctx, id)
	if got := plugintest.Describe(b.Events); got != "1:created 2:executor_assigned 3:started 4:progress 5:progress" {
		t.Fatalf("after resume: %s", got)
	}
	// The host released the holder on a plugin restart: resume re-assigns it.
	rel, _ := execution.NewEvent(id, execution.EventExecutorReleased, b.Events[1].Executor, execution.Failure{Reason: "plugin restarted", Code: "plugin_restarted"})
	if _, err := h.Store.Append(ctx, []execution.Event{rel}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h2.Resume(ctx, id, block); err != nil {
			t.Fatal(err)
		}
	}
	b, _ = h.Block(ctx, id)
	if got := plugintest.Describe(b.Events); got != "1:created 2:executor_assigned 3:started 4:progress 5:progress 6:executor_released 7:executor_assigned" {
		t.Fatalf("after release and resume: %s", got)
	}
	if x := b.Executor(); x == nil || x.Identifier != "alice" {
		t.Fatalf("holder %+v, want alice again", x)
	}
}

func TestResumeRecordsATaskACrashLeftUnrecorded(t *testing.T) {
	ctx := context.Background()
	h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
	block := reviewBlock(nil)
	id, _, err := h.Create(ctx, block, plugintest.Node(block), map[string]any{"pull_request_url": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Resume(ctx, id, block); err != nil {
		t.Fatal(err)
	}
	b, _ := h.Block(ctx, id)
	if got := plugintest.Describe(b.Events); got != "1:created 2:executor_assigned 3:started 4:progress 5:progress" {
		t.Fatalf("log %s", got)
	}
}

// A task recorded by a plugin from before tasks said they wait gets its
// waiting event on resume, once, so it gives its slot back.
func TestResumeSaysAnOlderTaskWaits(t *testing.T) {
	ctx := context.Background()
	h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
	block := reviewBlock(nil)
	id, err := h.Execute(ctx, block, map[string]any{"pull_request_url": "x"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Block(ctx, id)
	older := memory.New() // the same log without the waiting event
	for _, ev := range b.Events[:4] {
		ev.Sequence, ev.Position = 0, 0
		if _, err := older.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h2 := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{Store: older})
	for range 2 {
		if err := h2.Resume(ctx, id, block); err != nil {
			t.Fatal(err)
		}
	}
	b, _ = h2.Block(ctx, id)
	if got := plugintest.Describe(b.Events); got != "1:created 2:executor_assigned 3:started 4:progress 5:progress" || !sdk.IsWaiting(&b.Events[4]) {
		t.Fatalf("after resume: %s, want the waiting event once", got)
	}
}

func TestCancel(t *testing.T) {
	ctx := context.Background()
	h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
	block := reviewBlock(nil)
	id, err := h.Execute(ctx, block, map[string]any{"pull_request_url": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Cancel(ctx, id, "flow cancelled"); err != nil {
		t.Fatal(err)
	}
	if err := h.Cancel(ctx, id, "again"); err != nil {
		t.Fatalf("cancelling an ended task: %v", err)
	}
	b, _ := h.Block(ctx, id)
	if b.State != execution.StateCancelled || plugintest.Describe(b.Events) != "1:created 2:executor_assigned 3:started 4:progress 5:progress 6:cancelled" {
		t.Fatalf("state %s log %s", b.State, plugintest.Describe(b.Events))
	}
}

func TestEvaluateCondition(t *testing.T) {
	ctx := context.Background()
	h := plugintest.New(t, manual.New(manual.Options{}), plugintest.Options{})
	cases := []struct {
		name        string
		cond        core.Condition
		wantPending bool
		wantValue   bool
		wantErr     bool
	}{
		{"description only", core.Condition{Description: "ticket is fast-track"}, true, false, false},
		{"predicate", core.Condition{Description: "approved", Predicate: map[string]any{"cel": "outputs.approved == true"}}, false, true, false},
		{"empty", core.Condition{}, false, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := h.Adapter.EvaluateCondition(ctx, sdk.ConditionRequest{
				RequestID: uuid.New(), FlowExecutionID: h.FlowExecutionID, Condition: tc.cond,
				Context: sdk.ConditionContext{SourceOutputs: map[string]any{"approved": true}},
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if err == nil && (res.Pending != tc.wantPending || res.Value != tc.wantValue) {
				t.Fatalf("result %+v", res)
			}
		})
	}
}
