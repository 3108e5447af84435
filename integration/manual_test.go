package integration

import (
	"context"
	"encoding/json"
	"os/user"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// reviewedChange is a flow of three blocks: a shell block, a manual review
// for the "reviewers" group, and a shell block behind a description-only
// condition that a person decides.
var reviewedChange = map[string]string{"flow.yaml": `kind: work_block
name: Prepare
outputs: [{name: pull_request_url}]
execution_hints: [shell]
metadata:
  shell: {argv: [sh, -c, 'printf "{\"pull_request_url\": \"https://example.invalid/pr/1\"}"']}
---
kind: work_block
name: Review
description: Review the pull request.
inputs: [{name: pull_request_url}]
outputs:
  - {name: verdict, schema: {type: string, enum: [approved, rejected]}}
  - {name: comments, required: false}
execution_hints: [review]
metadata:
  candidate_groups: [reviewers]
  due: 48h
---
kind: work_block
name: Publish
inputs: [{name: verdict}]
outputs: [{name: published}]
execution_hints: [shell]
metadata:
  shell: {argv: [sh, -c, 'printf "{\"published\": true}"']}
---
kind: flow
name: Reviewed Change
nodes:
  - {alias: prepare, block: Prepare@1}
  - {alias: review, block: Review@1}
  - {alias: publish, block: Publish@1}
edges:
  - {to: prepare}
  - {from: prepare, to: review}
  - {from: review, to: publish, condition: the change is worth publishing}
`}

// taskView is the part of `task list --json` the test reads.
type taskView struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	State string `json:"state"`
}

func (e *env) tasks(ctx context.Context) []taskView {
	e.t.Helper()
	var list []taskView
	if code := e.cliJSON(ctx, &list, "task", "list"); code != 0 {
		e.t.Fatalf("task list: exit %d", code)
	}
	return list
}

func (e *env) waitTask(ctx context.Context, kind string) taskView {
	e.t.Helper()
	var found taskView
	waitFor(e.t, "a pending "+kind+" task", 60*time.Second, func() bool {
		for _, t := range e.tasks(ctx) {
			if t.Kind == kind {
				found = t
				return true
			}
		}
		return false
	})
	return found
}

// TestManualTaskSurvivesHostKill kills the daemon with SIGKILL while a
// person's task is pending, and again while a person's decision is
// pending; after each restart the task is there once, the person's answer
// lets the flow finish, and the log holds one task, one completion, one
// question and one decision, each naming the person and the OS user.
func TestManualTaskSurvivesHostKill(t *testing.T) {
	me, err := user.Current()
	must(t, err)
	e := newEnv(t, `
plugins:
  - name: shell
    hints: [shell]
  - name: manual
    hints: [review]
    max_concurrency: 1000
engine:
  call_timeout: 5s
  restart_backoff: 10ms
routing:
  conditions_plugin: manual
tasks:
  people:
    - {os_user: "`+me.Username+`", name: rita, groups: [reviewers]}
`, reviewedChange, "shell", "manual")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	d := e.serve()
	var started struct {
		ExecutionID string `json:"execution_id"`
	}
	if code := e.cliJSON(ctx, &started, "run", "Reviewed Change", "--wait=false"); code != 0 || started.ExecutionID == "" {
		t.Fatalf("run: exit %d, %+v", code, started)
	}
	review := e.waitTask(ctx, "block")
	d.kill()

	d = e.serve()
	if list := e.tasks(ctx); len(list) != 1 || list[0].ID != review.ID {
		t.Fatalf("after kill -9 and restart: tasks %+v, want the one review task %s", list, review.ID)
	}
	if out, code := e.cli(ctx, "task", "complete", review.ID[:8], "--output", "verdict=maybe"); code == 0 {
		t.Fatalf("a completion with a bad verdict was accepted: %s", out)
	}
	var done struct {
		State string `json:"state"`
	}
	if code := e.cliJSON(ctx, &done, "task", "complete", review.ID[:8], "--output", "verdict=approved", "--output", "comments=LGTM"); code != 0 || done.State != "completed" {
		t.Fatalf("task complete: exit %d, %+v", code, done)
	}

	question := e.waitTask(ctx, "decision")
	d.kill()
	d = e.serve()
	if list := e.tasks(ctx); len(list) != 1 || list[0].ID != question.ID {
		t.Fatalf("after the second kill: tasks %+v, want the one question %s", list, question.ID)
	}
	if out, code := e.cli(ctx, "task", "decide", question.ID[:8], "yes", "--reason", "ship it"); code != 0 {
		t.Fatalf("task decide: exit %d: %s", code, out)
	}
	waitFor(t, "the flow to complete", 60*time.Second, func() bool {
		return e.status(ctx, started.ExecutionID).State == execution.StateCompleted
	})
	d.stop(t)

	byExec := checkLog(t, e.events(ctx, started.ExecutionID))
	reviewLog := byExec[review.ID]
	count := map[string]int{}
	for _, ev := range reviewLog {
		count[string(ev.EventType)]++
		var p struct {
			Type string `json:"type"`
		}
		if ev.EventType == execution.EventProgress && ev.DecodePayload(&p) == nil && p.Type == "task" {
			count["task"]++
		}
		if ev.EventType == execution.EventCompleted {
			x := ev.Executor
			if x.Type != execution.ExecutorHuman || x.Identifier != "rita" || x.Metadata["os_user"] != me.Username {
				t.Errorf("completed by %+v, want human rita (OS user %s)", x, me.Username)
			}
		}
	}
	if count["task"] != 1 || count["completed"] != 1 || count["outcome_produced"] != 1 || count["created"] != 1 {
		t.Errorf("review log: %v, want one task, one outcome, one completion", count)
	}
	questions, decisions := 0, 0
	for _, ev := range byExec[started.ExecutionID] {
		var p struct {
			Type      string `json:"type"`
			DecidedBy *execution.ExecutorInfo
		}
		if ev.EventType != execution.EventProgress || ev.DecodePayload(&p) != nil {
			continue
		}
		raw, _ := json.Marshal(ev.Payload)
		switch p.Type {
		case "decision_request":
			questions++
		case "condition_decision":
			if strings.Contains(string(raw), "the change") || strings.Contains(string(raw), question.ID) {
				decisions++
			}
		}
	}
	if questions != 1 || decisions != 1 {
		t.Errorf("flow log: %d questions and %d decisions for it, want one each", questions, decisions)
	}
}
