package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// The plugin storm: a shell plugin killed with SIGKILL, again and again,
// while executions of a 30-node flow run and more are started (issue 9 #1).
const (
	stormLanes, stormDepth = 6, 5 // 30 nodes: 6 parallel chains of 5
	stormRuns              = 10
	stormKills             = 25
)

const stormConfig = `
plugins:
  - name: shell
    hints: [shell]
engine:
  call_timeout: 10s
  restart_backoff: 10ms
  restart_backoff_max: 200ms
`

// lanesFlow is stormLanes independent chains of stormDepth shell blocks,
// all starting at once, so that many blocks are in flight at every kill.
func lanesFlow() map[string]string {
	var b strings.Builder
	b.WriteString(`kind: work_block
name: Step
inputs: [{name: n, description: counter, required: false}]
outputs: [{name: n, description: counter}]
execution_hints: [shell]
metadata:
  shell:
    script: 'sleep 0.3; printf "{\"n\": %s}" "$(( ${OPENOMA_INPUT_N:-0} + 1 ))"'
---
kind: flow
name: Lanes
nodes:
`)
	for l := range stormLanes {
		for d := range stormDepth {
			fmt.Fprintf(&b, "  - {alias: l%ds%d, block: Step@1}\n", l, d)
		}
	}
	b.WriteString("edges:\n")
	for l := range stormLanes {
		fmt.Fprintf(&b, "  - {to: l%ds0}\n", l)
		for d := 1; d < stormDepth; d++ {
			fmt.Fprintf(&b, "  - {from: l%ds%d, to: l%ds%d}\n", l, d-1, l, d)
		}
	}
	return map[string]string{"lanes.yaml": b.String()}
}

// pluginProc is the part of `plugins --json` the storm reads.
type pluginProc struct {
	Name     string `json:"name"`
	Running  bool   `json:"running"`
	PID      int    `json:"pid"`
	Instance string `json:"instance"` // empty on hosts that do not name launches
}

func (e *env) shellPlugin(ctx context.Context) pluginProc {
	e.t.Helper()
	var ps []pluginProc
	e.cliJSON(ctx, &ps, "plugins")
	for _, p := range ps {
		if p.Name == "shell" {
			return p
		}
	}
	e.t.Fatalf("no shell plugin in %+v", ps)
	return pluginProc{}
}

// kill is one SIGKILL of the plugin: which process, and when (between
// before and at).
type kill struct {
	pid        int
	instance   string
	before, at time.Time
}

func TestPluginKillStorm(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	e := newEnv(t, stormConfig, lanesFlow(), "shell")
	ctx := context.Background()
	d := e.serve()
	defer d.stop(t)

	var runs []string
	start := func() {
		id, code := e.cli(ctx, "run", "Lanes", "--wait=false")
		if code != 0 {
			t.Fatalf("run: exit %d", code)
		}
		runs = append(runs, strings.TrimSpace(id))
	}
	// openRun reports whether a started execution is still running; the
	// newest is the likeliest.
	openRun := func() bool {
		for i := len(runs) - 1; i >= 0; i-- {
			if !e.status(ctx, runs[i]).State.IsTerminal() {
				return true
			}
		}
		return false
	}
	for range 3 {
		start()
	}
	var kills []kill
	lastPID := 0
	for k := range stormKills {
		// Wait for the plugin to be back (a new process), then give it a
		// random moment: sometimes none, so the next crash lands while the
		// previous one is still being resumed.
		var p pluginProc
		waitFor(t, "the shell plugin to run again", 30*time.Second, func() bool {
			p = e.shellPlugin(ctx)
			return p.Running && p.PID != lastPID
		})
		if rng.IntN(5) >= 2 { // else at once: restarts overlap
			time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		}
		if !openRun() {
			start() // every kill must strike running work
		}
		pid := p.PID
		before := time.Now()
		must(t, syscall.Kill(pid, syscall.SIGKILL))
		kills = append(kills, kill{pid: pid, instance: p.Instance, before: before, at: time.Now()})
		lastPID = pid
		if k%3 == 2 {
			start() // new blocks are created and dispatched amid restarts
		}
	}
	for len(runs) < stormRuns {
		start()
	}

	for _, id := range runs {
		waitFor(t, "execution "+id+" to end", 3*time.Minute, func() bool {
			return e.status(ctx, id).State.IsTerminal()
		})
	}
	hits := make([]int, len(kills)) // open blocks at each kill
	var releases int
	for _, id := range runs {
		r := e.status(ctx, id)
		if r.State != execution.StateCompleted {
			t.Fatalf("execution %s ended %s (%s)", id, r.State, r.Reason)
		}
		releases += checkStormLog(t, id, checkLog(t, e.events(ctx, id)), kills, hits)
	}
	// The storm must have hit running work, or it proves nothing.
	struck := 0
	for _, n := range hits {
		if n > 0 {
			struck++
		}
	}
	if struck < stormKills-1 {
		t.Fatalf("only %d of %d kills found a block open; the storm missed the work", struck, len(kills))
	}
	t.Logf("%d kills (%d with blocks open, %v open at each), %d executions of %d nodes completed, %d releases",
		len(kills), struck, hits, len(runs), stormLanes*stormDepth, releases)
}

// checkStormLog checks one execution's log after the storm: every node slot
// completed exactly once, and no block was released more than once per
// crash. It adds to hits[i] the blocks that were open at kill i, and
// returns the number of releases in the log.
func checkStormLog(t *testing.T, flowID string, logs map[string][]execution.Event, kills []kill, hits []int) int {
	t.Helper()
	killed := map[string]bool{}
	for _, k := range kills {
		killed[k.instance] = true
	}
	completed := map[uuid.UUID]int{}
	total := 0
	for execID, log := range logs {
		if execID == flowID {
			continue
		}
		created, err := execution.CreatedOf(log)
		must(t, err)
		first, last := log[0].Timestamp, log[len(log)-1].Timestamp
		open := 0 // kills while this block was open
		for i, k := range kills {
			if !k.at.Before(first) && !k.at.After(last) {
				open++
				hits[i]++
			}
		}
		releases := 0
		released := map[string]bool{}
		var holder string
		var assignedAt time.Time
		for _, ev := range log {
			switch ev.EventType {
			case execution.EventExecutorAssigned:
				holder, assignedAt = ev.Executor.PluginInstance(), ev.Timestamp
			case execution.EventExecutorReleased:
				releases++
				// The process that made the assignment must have been
				// killed between the assignment and its release: else a
				// live process's block was taken from it. Releases of one
				// block thus map to distinct kills: at most one per crash.
				if !killedBetween(kills, assignedAt, ev.Timestamp) {
					t.Errorf("block %s: the assignment of %s was released at %s with no kill in between: its process was alive",
						execID, assignedAt.Format(time.StampMicro), ev.Timestamp.Format(time.StampMicro))
				}
				who := ev.Executor.PluginInstance()
				if who == "" {
					break // a host that does not name launches: only the count below applies
				}
				if !killed[who] {
					t.Errorf("block %s: released the executor of launch %s, which was never killed", execID, who)
				}
				if who != holder {
					t.Errorf("block %s: release names launch %s, but launch %s held it", execID, who, holder)
				}
				if released[who] {
					t.Errorf("block %s: launch %s released twice", execID, who)
				}
				released[who] = true
			case execution.EventCompleted:
				completed[created.NodeReferenceID]++
			}
		}
		total += releases
		if releases > open {
			t.Errorf("block %s: %d releases, but only %d kills happened while it was open", execID, releases, open)
		}
	}
	if len(completed) != stormLanes*stormDepth {
		t.Errorf("execution %s: %d node slots completed, want %d", flowID, len(completed), stormLanes*stormDepth)
	}
	for node, n := range completed {
		if n != 1 {
			t.Errorf("execution %s: node %s completed %d times", flowID, node, n)
		}
	}
	return total
}

// killedBetween reports whether a kill happened between from and to.
func killedBetween(kills []kill, from, to time.Time) bool {
	for _, k := range kills {
		if !k.at.Before(from) && !k.before.After(to) {
			return true
		}
	}
	return false
}
