package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// loopRun is the part of `status --json` the loop tests read.
type loopRun struct {
	State  execution.State `json:"state"`
	Reason string          `json:"reason"`
	Blocks []struct {
		Alias     string          `json:"alias"`
		State     execution.State `json:"state"`
		Iteration int             `json:"iteration"`
		Index     *int            `json:"index"`
		Attempt   int             `json:"attempt"`
	} `json:"blocks"`
	Outputs map[string]map[string]any `json:"outputs"`
}

// loopDefs are two flows on the shell plugin: Loop counts to 8 by going
// round work → check → work, and Items runs one block per item of a list
// of 50.
const loopDefs = `kind: work_block
name: Work
inputs: [{name: round, required: false}]
outputs: [{name: round}]
execution_hints: [shell]
metadata:
  shell:
    script: 'sleep 0.15; printf "{\"round\": %s}" "$(( ${OPENOMA_INPUT_ROUND:-0} + 1 ))"'
---
kind: work_block
name: Check
inputs: [{name: round}]
outputs: [{name: round}]
execution_hints: [shell]
metadata:
  shell:
    script: 'printf "{\"round\": %s}" "$OPENOMA_INPUT_ROUND"'
---
kind: work_block
name: Done
inputs: [{name: round}]
outputs: [{name: total}]
execution_hints: [shell]
metadata:
  shell:
    script: 'printf "{\"total\": %s}" "$OPENOMA_INPUT_ROUND"'
---
kind: flow
name: Loop
nodes:
  - {alias: work, block: Work@1}
  - {alias: check, block: Check@1}
  - {alias: done, block: Done@1}
edges:
  - {to: work}
  - {from: work, to: check}
  - from: check
    to: work
    condition: {description: not there yet, predicate: {cel: "outputs.round < 8"}}
  - from: check
    to: done
    condition: {description: counted to 8, predicate: {cel: "outputs.round >= 8"}}
---
kind: work_block
name: List
outputs: [{name: ids}]
execution_hints: [shell]
metadata:
  shell:
    script: 'printf "{\"ids\": ["; i=0; while [ $i -lt 50 ]; do [ $i -gt 0 ] && printf ","; printf "\"id-%s\"" $i; i=$((i+1)); done; printf "]}"'
---
kind: work_block
name: Item
inputs: [{name: id}]
outputs: [{name: done}]
execution_hints: [shell]
metadata:
  shell:
    script: 'sleep 0.1; printf "{\"done\": \"%s\"}" "$OPENOMA_INPUT_ID"'
---
kind: flow
name: Items
nodes:
  - {alias: list, block: List@1}
  - alias: each
    block: Item@1
    metadata:
      for_each: {items: outputs.ids, as: id, max_concurrency: 6}
edges:
  - {to: list}
  - {from: list, to: each}
`

// TestHostKilledDuringALoopAndAForEach kills the host (SIGKILL) at a
// random moment of a loop of 8 rounds and of a for_each over 50 items,
// several times each, and restarts it: every run of every node — each
// iteration, each item — completes exactly once in the derived state.
func TestHostKilledDuringALoopAndAForEach(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 10))
	e := newEnv(t, shellPlugins, map[string]string{"loops.yaml": loopDefs}, "shell")
	ctx := context.Background()
	cases := []struct {
		flow string
		want map[string]int // alias → runs that must each complete once
		out  func(r loopRun) error
	}{
		{flow: "Loop", want: map[string]int{"work": 8, "check": 8, "done": 1}, out: func(r loopRun) error {
			if got := r.Outputs["done"]["total"]; got != 8.0 {
				return fmt.Errorf("done.total = %v, want 8", got)
			}
			return nil
		}},
		{flow: "Items", want: map[string]int{"list": 1, "each": 50}, out: func(r loopRun) error {
			done, _ := r.Outputs["each"]["done"].([]any)
			if len(done) != 50 || done[0] != "id-0" || done[49] != "id-49" {
				return fmt.Errorf("each.done = %v, want 50 values in item order", done)
			}
			return nil
		}},
	}
	for _, tc := range cases {
		for round := range 3 {
			d := e.serve()
			id, code := e.cli(ctx, "run", tc.flow, "--wait=false")
			if code != 0 {
				t.Fatalf("%s: run: exit %d", tc.flow, code)
			}
			id = strings.TrimSpace(id)
			time.Sleep(time.Duration(200+rng.IntN(900)) * time.Millisecond)
			children := childPIDs(d.cmd.Process.Pid)
			d.kill()
			for _, pid := range children {
				waitFor(t, fmt.Sprintf("plugin %d of the killed host to exit", pid), 10*time.Second, func() bool { return !alive(pid) })
			}
			d = e.serve()
			var r loopRun
			waitFor(t, tc.flow+" to end after the restart", 90*time.Second, func() bool {
				r = loopRun{}
				e.cliJSON(ctx, &r, "status", id)
				return r.State.IsTerminal()
			})
			if r.State != execution.StateCompleted {
				t.Fatalf("%s round %d: %s (%s)\n%s", tc.flow, round, r.State, r.Reason, d.output())
			}
			completed := map[string]int{}
			for _, b := range r.Blocks {
				if b.State != execution.StateCompleted {
					continue
				}
				run := fmt.Sprintf("%s/%d", b.Alias, b.Iteration)
				if b.Index != nil {
					run += fmt.Sprintf("[%d]", *b.Index)
				}
				completed[run]++
			}
			runs := map[string]int{}
			for run, n := range completed {
				if n != 1 {
					t.Errorf("%s round %d: %s completed %d times", tc.flow, round, run, n)
				}
				runs[strings.SplitN(run, "/", 2)[0]]++
			}
			for alias, n := range tc.want {
				if runs[alias] != n {
					t.Errorf("%s round %d: %s has %d completed runs, want %d", tc.flow, round, alias, runs[alias], n)
				}
			}
			if err := tc.out(r); err != nil {
				t.Errorf("%s round %d: %v", tc.flow, round, err)
			}
			checkLog(t, e.events(ctx, id))
			d.stop(t)
		}
	}
}
