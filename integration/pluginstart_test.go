package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// brokenPlugins: llm-stub given a fixtures file that does not exist (it
// exits before the handshake, saying why on stderr), and shell with a
// hint it does not serve routed to it; `test`, healthy, starts on first
// use only and is never launched by serve.
const brokenPlugins = `
plugins:
  - name: llm-stub
    args: [--fixtures, examples/no-such-fixtures.yaml]
    hints: [llm]
  - name: shell
    hints: [shell, kubectl]
  - name: test
    hints: [test]
    start: on_first_use
engine:
  call_timeout: 5s
  restart_backoff: 10ms
`

const missingFixtures = "examples/no-such-fixtures.yaml: no such file or directory"

// serve launches every at_start plugin and says, at ERROR, which cannot
// start (with the plugin's own reason, not go-plugin's "exited during the
// handshake") and which lacks a routed hint; it serves anyway, and
// `plugins` shows the same reasons. validate --config does the same
// check without a daemon and exits 1.
func TestPluginStartUpChecks(t *testing.T) {
	e := newEnv(t, brokenPlugins, chainFlow(1, "0"), "shell", "llm-stub", "test")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	out, code := e.cli(ctx, "validate")
	if code != 1 {
		t.Fatalf("validate --config: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`plugin "llm-stub": plugins[0]: does not start:`, missingFixtures,
		`plugin "shell": plugins[1].hints: does not serve kubectl`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate --config output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Unrecognized remote plugin message") {
		t.Errorf("validate shows go-plugin's handshake noise instead of the reason:\n%s", out)
	}
	if strings.Contains(out, `plugin "test"`) {
		t.Errorf("validate reports the healthy on_first_use plugin:\n%s", out)
	}

	d := e.serve()
	logs := d.output()
	for _, want := range []string{"[ERROR]", "plugin failed its start-up check", missingFixtures, "missing_hints=kubectl"} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve log lacks %q:\n%s", want, logs)
		}
	}
	var list []struct {
		Name      string `json:"name"`
		Running   bool   `json:"running"`
		PID       int    `json:"pid"`
		LastError string `json:"last_error"`
	}
	if code := e.cliJSON(ctx, &list, "plugins"); code != 0 || len(list) != 3 {
		t.Fatalf("plugins --json: exit %d, %+v", code, list)
	}
	if l := list[0]; l.Running || !strings.Contains(l.LastError, missingFixtures) {
		t.Errorf("llm-stub: %+v, want not running with the fixtures error", l)
	}
	if s := list[1]; s.Running || !strings.Contains(s.LastError, "kubectl") {
		t.Errorf("shell: %+v, want not running, naming the missing hint", s)
	}
	if tp := list[2]; tp.Running || tp.LastError != "" {
		t.Errorf("test (on_first_use): %+v, want not launched by serve", tp)
	}
	d.stop(t)
}

// A healthy at_start plugin is running, with a numeric pid, as soon as
// serve answers: no block had to launch it.
func TestServeStartsPluginsAtStart(t *testing.T) {
	e := newEnv(t, shellPlugins, chainFlow(1, "0"), "shell")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, code := e.cli(ctx, "validate"); code != 0 {
		t.Fatalf("validate --config: exit %d\n%s", code, out)
	}
	d := e.serve()
	var list []struct {
		Running bool `json:"running"`
		PID     int  `json:"pid"`
	}
	if code := e.cliJSON(ctx, &list, "plugins"); code != 0 || len(list) != 1 || !list[0].Running || list[0].PID <= 0 {
		t.Fatalf("plugins --json after serve: exit %d, %+v", code, list)
	}
	if strings.Contains(d.output(), "[ERROR]") {
		t.Errorf("serve logged an ERROR with a healthy plugin:\n%s", d.output())
	}
	d.stop(t)
}

// SIGTERM with a block running: the plugin is asked to stop while its
// connection to the host's store is still open, so it records
// executor_released for the block (the next daemon resumes it) and
// nothing is logged at ERROR (it used to be "emit executor_released …
// connection refused", and no release recorded).
func TestCleanShutdownReleasesRunningBlocks(t *testing.T) {
	e := newEnv(t, shellPlugins, chainFlow(1, "3"), "shell")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := e.serve()
	id, code := e.cli(ctx, "run", "Chain", "--wait=false")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	id = strings.TrimSpace(id)
	var block string
	waitFor(t, "the block to start", 20*time.Second, func() bool {
		r := e.status(ctx, id)
		if len(r.Blocks) == 1 && r.Blocks[0].State == execution.StateInProgress {
			block = r.Blocks[0].ExecutionID
			return true
		}
		return false
	})
	d.stop(t)
	if out := d.output(); strings.Contains(out, "[ERROR]") {
		t.Errorf("a clean shutdown logged ERRORs:\n%s", out)
	}
	var types []string
	for _, ev := range checkLog(t, e.events(ctx, id))[block] {
		types = append(types, string(ev.EventType))
	}
	got := strings.Join(types, " ")
	if !strings.HasSuffix(got, "executor_released") {
		t.Fatalf("block log after SIGTERM %q: want it to end with executor_released", got)
	}
	// The next daemon resumes the released block and the run completes.
	d = e.serve()
	waitFor(t, "the run to complete after the restart", 30*time.Second, func() bool {
		return e.status(ctx, id).State == execution.StateCompleted
	})
	d.stop(t)
}
