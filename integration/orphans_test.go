package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// orphanFlow is one shell block whose command leaves a background job and
// a nested shell running.
var orphanFlow = map[string]string{"orphans.yaml": `kind: work_block
name: Leaves Jobs
execution_hints: [shell]
metadata:
  shell:
    script: |
      sleep 60 &
      sh -c 'sleep 61'
---
kind: flow
name: Orphans
nodes:
  - {alias: jobs, block: Leaves Jobs@1}
edges:
  - {to: jobs}
`}

// TestNoOrphansAfterKill kills -9 the host (or the plugin) while a shell
// block's command has a background job and a nested shell running: 2 s
// later none of the block's processes is alive (issue 9 #5).
func TestNoOrphansAfterKill(t *testing.T) {
	cases := []struct {
		name string
		kill func(t *testing.T, d *daemon, blockMarker string)
	}{
		{"host", func(t *testing.T, d *daemon, _ string) { d.kill() }},
		{"plugin", func(t *testing.T, d *daemon, marker string) {
			plugin := pluginOf(t, d, marker)
			must(t, syscall.Kill(plugin, syscall.SIGKILL))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, shellPlugins, orphanFlow, "shell")
			ctx := context.Background()
			d := e.serve()
			id, code := e.cli(ctx, "run", "Orphans", "--wait=false")
			if code != 0 {
				t.Fatalf("run: exit %d", code)
			}
			id = strings.TrimSpace(id)
			var marker string
			waitFor(t, "the block's sleep 60 and sleep 61", 30*time.Second, func() bool {
				if marker == "" {
					r := e.status(ctx, id)
					if len(r.Blocks) != 1 || r.Blocks[0].ExecutionID == "" {
						return false
					}
					marker = "OPENOMA_EXECUTION_ID=" + r.Blocks[0].ExecutionID
				}
				cmds := strings.Join(processesWith(marker), "; ")
				return strings.Contains(cmds, "sleep 60") && strings.Contains(cmds, "sleep 61")
			})
			t.Cleanup(func() { killAll(processesWithPIDs(marker)) })
			before := processesWith(marker)
			c.kill(t, d, marker)
			killed := time.Now()
			waitFor(t, "no process of the block to be left ("+strings.Join(before, "; ")+")", 2*time.Second, func() bool {
				return len(processesWith(marker)) == 0
			})
			t.Logf("%d processes of the block, all gone %s after the kill", len(before), time.Since(killed).Round(time.Millisecond))
			if c.name == "plugin" {
				// The host resumes the block in a new plugin process; it runs again.
				waitFor(t, "the block to run again", 30*time.Second, func() bool {
					r := e.status(ctx, id)
					return len(r.Blocks) == 1 && r.Blocks[0].State == execution.StateInProgress && len(processesWith(marker)) > 0
				})
				d.kill()
				waitFor(t, "the rerun's processes to go with the host", 2*time.Second, func() bool { return len(processesWith(marker)) == 0 })
			}
		})
	}
}

// pluginOf returns the plugin process running the block marked marker:
// the parent of the block's command, a child of the daemon.
func pluginOf(t *testing.T, d *daemon, marker string) int {
	t.Helper()
	for _, child := range childPIDs(d.cmd.Process.Pid) {
		for _, pid := range processesWithPIDs(marker) {
			if parentOf(pid) == child {
				return child
			}
		}
	}
	t.Fatalf("no child of the daemon runs the block")
	return 0
}

func parentOf(pid int) int {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// processesWith returns the command lines of the live processes whose
// environment holds marker.
func processesWith(marker string) []string {
	var cmds []string
	for _, pid := range processesWithPIDs(marker) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		cmds = append(cmds, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return cmds
}

func processesWithPIDs(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !alive(pid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && strings.Contains("\x00"+string(env), "\x00"+marker+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killAll cleans up after a failed test.
func killAll(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
