package integration

import (
	"context"
	"os/user"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// threeReviews is a flow of three reviews for people, side by side.
var threeReviews = map[string]string{"flow.yaml": `kind: work_block
name: Review
outputs: [{name: verdict}]
execution_hints: [review]
metadata: {candidate_groups: [reviewers]}
---
kind: flow
name: Three Reviews
nodes:
  - {alias: legal, block: Review@1}
  - {alias: security, block: Review@1}
  - {alias: design, block: Review@1}
edges: [{to: legal}, {to: security}, {to: design}]
`}

// TestManualTasksHoldNoSlot: with the real manual plugin limited to one
// block at a time, three tasks of one run and a task of a second run are
// all open at once — a task waits for a person, which is not work — and
// so they are again after the daemon is killed and restarted, when a
// third run's task still gets going. The people then finish them all.
func TestManualTasksHoldNoSlot(t *testing.T) {
	me, err := user.Current()
	must(t, err)
	e := newEnv(t, `
plugins:
  - name: manual
    hints: [review]
    max_concurrency: 1
engine:
  restart_backoff: 10ms
tasks:
  people:
    - {os_user: "`+me.Username+`", name: rita, groups: [reviewers]}
`, threeReviews, "manual")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := func() string {
		var started struct {
			ExecutionID string `json:"execution_id"`
		}
		if code := e.cliJSON(ctx, &started, "run", "Three Reviews", "--wait=false"); code != 0 || started.ExecutionID == "" {
			t.Fatalf("run: exit %d, %+v", code, started)
		}
		return started.ExecutionID
	}
	openTasks := func(n int) []taskView {
		var list []taskView
		waitFor(t, "tasks to be open", 60*time.Second, func() bool {
			list = e.tasks(ctx)
			return len(list) >= n
		})
		if len(list) != n {
			t.Fatalf("tasks %+v, want %d", list, n)
		}
		return list
	}

	d := e.serve()
	runs := []string{start(), start()}
	openTasks(6)
	d.kill()

	d = e.serve()
	runs = append(runs, start())
	list := openTasks(9)
	for _, task := range list {
		if code := e.cliJSON(ctx, &struct{}{}, "task", "complete", task.ID, "--output", "verdict=ok"); code != 0 {
			t.Fatalf("task complete %s: exit %d", task.ID, code)
		}
	}
	for _, id := range runs {
		waitFor(t, "run "+id+" to complete", 60*time.Second, func() bool {
			return e.status(ctx, id).State == execution.StateCompleted
		})
	}
	d.stop(t)
}
