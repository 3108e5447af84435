package shell_test

import (
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
)

// A script that starts a child `sleep` in its process group, writes the
// child's pid to $OPENOMA_INPUT_PIDFILE, and then waits for it.
const spawnChild = `sleep 60 & echo $! > "$OPENOMA_INPUT_PIDFILE"; `

var pidInput = []core.PortDescriptor{port("pidfile", true, nil)}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	for _, c := range []struct {
		name   string
		script string
	}{
		{"exits on SIGTERM", spawnChild + `wait`},
		{"ignores SIGTERM", `trap '' TERM; ` + spawnChild + `while :; do sleep 1; done`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newHarness(t, shell.Options{})
			pf := pidFile(t)
			block := shellBlock(map[string]any{"script": c.script, "timeout": "300ms", "kill_grace": "200ms"}, pidInput, nil)
			b, err := h.Run(testContext(t), block, map[string]any{"pidfile": pf})
			if err != nil {
				t.Fatal(err)
			}
			f := failureOf(t, b)
			if b.State != execution.StateFailed || f.Code != "timeout" || !strings.Contains(f.Reason, "timed out after 300ms") {
				t.Fatalf("state %s, failure %+v; want failed with code timeout", b.State, f)
			}
			waitGone(t, readPID(t, pf), "the command's child")
			waitGone(t, int(f.Details["pid"].(float64)), "the command")
		})
	}
}

func TestLeftoversKilledWhenCommandExits(t *testing.T) {
	h, _ := newHarness(t, shell.Options{})
	pf := pidFile(t)
	block := shellBlock(spawnChild+`echo '{}'`, pidInput, nil)
	b, err := h.Run(testContext(t), block, map[string]any{"pidfile": pf})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted {
		t.Fatalf("state %s (%s)", b.State, b.FailureReason())
	}
	waitGone(t, readPID(t, pf), "a background child left by the command")
}

func TestCancelKillsProcessGroup(t *testing.T) {
	h, _ := newHarness(t, shell.Options{})
	ctx := testContext(t)
	pf := pidFile(t)
	block := shellBlock(map[string]any{"script": spawnChild + `wait`, "kill_grace": "200ms"}, pidInput, nil)
	id, err := h.Execute(ctx, block, map[string]any{"pidfile": pf})
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, pf)
	if err := h.Cancel(ctx, id, "operator changed their mind"); err != nil {
		t.Fatal(err)
	}
	b, err := h.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCancelled || !strings.Contains(b.FailureReason(), "operator changed their mind") {
		t.Fatalf("state %s, reason %q; want cancelled with the given reason", b.State, b.FailureReason())
	}
	waitGone(t, child, "the cancelled command's child")
}

func TestShutdownReleasesRunningBlocks(t *testing.T) {
	ctx := testContext(t)
	pf := pidFile(t)
	a := shell.New(shell.Options{})
	h2 := newHarnessFor(t, a)
	block := shellBlock(map[string]any{"script": spawnChild + `wait`, "kill_grace": "200ms"}, pidInput, nil)
	id, err := h2.Execute(ctx, block, map[string]any{"pidfile": pf})
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, pf)
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, child, "a command running at shutdown")
	b, err := h2.Block(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := b.Events[len(b.Events)-1].EventType
	if b.State.IsTerminal() || last != execution.EventExecutorReleased {
		t.Errorf("after shutdown: state %s, last event %s; want it released for the next process (events %v)", b.State, last, b.Events)
	}
}
