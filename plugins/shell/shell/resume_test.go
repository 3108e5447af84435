package shell_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
)

// countingScript appends a line to $OPENOMA_INPUT_MARKER each time it runs.
const countingScript = `echo run >> "$OPENOMA_INPUT_MARKER"; echo '{"ok": true}'`

var (
	markerInput = []core.PortDescriptor{port("marker", true, nil)}
	okOutput    = []core.PortDescriptor{port("ok", true, nil)}
	previous    = sdk.System("shell") // the same plugin, an earlier process
	hostExec    = &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"}
)

func runs(t *testing.T, marker string) int {
	data, err := os.ReadFile(marker)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "run")
}

// appendLog appends events (built by the test) after the created event.
func appendLog(ctx context.Context, t *testing.T, h *plugintest.Harness, id uuid.UUID, seq uint64, events ...execution.Event) {
	t.Helper()
	for i := range events {
		events[i].ExecutionID = id
		if events[i].Executor == nil {
			events[i].Executor = &previous
		}
	}
	if _, err := h.Store.Append(ctx, events, store.ExpectSequence(seq)); err != nil {
		t.Fatal(err)
	}
}

func progressEvent(t *testing.T, payload any) execution.Event {
	raw, err := execution.MarshalPayload(payload)
	if err != nil {
		t.Fatal(err)
	}
	return execution.Event{EventType: execution.EventProgress, Payload: raw}
}

// staleCommand starts a process as a previous plugin process would have
// (own process group, the execution's id in its environment) and returns
// its pid; it is killed at the end of the test if still running.
func staleCommand(t *testing.T, executionID uuid.UUID) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "OPENOMA_EXECUTION_ID=" + executionID.String()}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd.Process.Pid
}

func TestResume(t *testing.T) {
	released := execution.Event{EventType: execution.EventExecutorReleased, Executor: hostExec, Payload: []byte(`{"reason":"plugin process exited"}`)}
	cases := []struct {
		name       string
		idempotent bool
		// log builds what a previous process left after created; stale is
		// the pid of its leftover command (0: none).
		log       func(t *testing.T, id uuid.UUID, stale int) []execution.Event
		stale     bool
		state     execution.State
		runs      int
		code      string
		reason    string
		staleGone bool
	}{
		{
			name: "never started: runs", idempotent: false,
			log:   func(*testing.T, uuid.UUID, int) []execution.Event { return nil },
			state: execution.StateCompleted, runs: 1,
		},
		{
			name: "assigned but not started: runs", idempotent: false,
			log: func(*testing.T, uuid.UUID, int) []execution.Event {
				return []execution.Event{{EventType: execution.EventExecutorAssigned}}
			},
			state: execution.StateCompleted, runs: 1,
		},
		{
			name: "interrupted, idempotent: runs again and kills the old run", idempotent: true, stale: true,
			log: func(t *testing.T, id uuid.UUID, stale int) []execution.Event {
				return []execution.Event{{EventType: execution.EventExecutorAssigned}, {EventType: execution.EventStarted},
					progressEvent(t, map[string]any{"type": "command_started", "pid": stale}), released}
			},
			state: execution.StateCompleted, runs: 1, staleGone: true,
		},
		{
			name: "interrupted by a host crash (no release), idempotent", idempotent: true,
			log: func(t *testing.T, id uuid.UUID, stale int) []execution.Event {
				return []execution.Event{{EventType: execution.EventExecutorAssigned}, {EventType: execution.EventStarted}}
			},
			state: execution.StateCompleted, runs: 1,
		},
		{
			// The watchdog of the previous process did not run (killed too)
			// and its group went unrecorded: the leftover is found by the
			// execution id in its environment.
			name: "interrupted, group not recorded: the old run is still killed", idempotent: true, stale: true,
			log: func(t *testing.T, id uuid.UUID, stale int) []execution.Event {
				return []execution.Event{{EventType: execution.EventExecutorAssigned}, {EventType: execution.EventStarted}, released}
			},
			state: execution.StateCompleted, runs: 1, staleGone: true,
		},
		{
			name: "interrupted, not idempotent: fails", idempotent: false, stale: true,
			log: func(t *testing.T, id uuid.UUID, stale int) []execution.Event {
				return []execution.Event{{EventType: execution.EventExecutorAssigned}, {EventType: execution.EventStarted},
					progressEvent(t, map[string]any{"type": "command_started", "pid": stale}), released}
			},
			state: execution.StateFailed, runs: 0, code: "interrupted", reason: "interrupted, not idempotent", staleGone: true,
		},
		{
			name: "outputs recorded: completes without running", idempotent: false,
			log: func(t *testing.T, id uuid.UUID, stale int) []execution.Event {
				out, _ := execution.MarshalPayload(execution.Outcome{"ok": true})
				return []execution.Event{{EventType: execution.EventExecutorAssigned}, {EventType: execution.EventStarted},
					{EventType: execution.EventOutcomeProduced, Payload: out}, released}
			},
			state: execution.StateCompleted, runs: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newHarness(t, shellOptions())
			ctx := testContext(t)
			marker := pidFile(t)
			block := shellBlock(map[string]any{"script": countingScript, "idempotent": c.idempotent}, markerInput, okOutput)
			id, seq, err := h.Create(ctx, block, plugintest.Node(block), map[string]any{"marker": marker})
			if err != nil {
				t.Fatal(err)
			}
			stale := 0
			if c.stale {
				stale = staleCommand(t, id)
			}
			if events := c.log(t, id, stale); len(events) > 0 {
				appendLog(ctx, t, h, id, seq, events...)
			}
			if err := h.Resume(ctx, id, block); err != nil {
				t.Fatal(err)
			}
			b, err := h.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := plugintest.CheckLifecycle(block, b.Events); err != nil {
				t.Error(err)
			}
			if b.State != c.state {
				t.Fatalf("state %s, want %s (reason %q, events %s)", b.State, c.state, b.FailureReason(), plugintest.Describe(b.Events))
			}
			if n := runs(t, marker); n != c.runs {
				t.Errorf("the command ran %d times, want %d", n, c.runs)
			}
			if b.State == execution.StateCompleted && b.Outputs()["ok"] != true {
				t.Errorf("outputs %v", b.Outputs())
			}
			if c.code != "" {
				if f := failureOf(t, b); f.Code != c.code || !strings.Contains(f.Reason, c.reason) {
					t.Errorf("failure %+v, want code %q mentioning %q", f, c.code, c.reason)
				}
			}
			if c.staleGone {
				waitGone(t, stale, "the previous process's command")
			}
		})
	}
}

func TestResumeLeavesOtherProcessGroupsAlone(t *testing.T) {
	h, _ := newHarness(t, shellOptions())
	ctx := testContext(t)
	block := shellBlock(map[string]any{"script": countingScript}, markerInput, okOutput)
	id, seq, err := h.Create(ctx, block, plugintest.Node(block), map[string]any{"marker": pidFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	// The recorded group id now belongs to a process of another execution.
	other := staleCommand(t, uuid.New())
	appendLog(ctx, t, h, id, seq, execution.Event{EventType: execution.EventExecutorAssigned}, execution.Event{EventType: execution.EventStarted},
		progressEvent(t, map[string]any{"type": "command_started", "pid": other}))
	if err := h.Resume(ctx, id, block); err != nil {
		t.Fatal(err)
	}
	if b, err := h.Wait(ctx, id); err != nil || b.State != execution.StateCompleted {
		t.Fatalf("resume: %v, state %s", err, b.State)
	}
	if !alive(other) {
		t.Error("resume killed a process group that belongs to another execution")
	}
}

func TestResumeWhileRunningHereIsNoOp(t *testing.T) {
	h, _ := newHarness(t, shellOptions())
	ctx := testContext(t)
	pf := pidFile(t)
	block := shellBlock(map[string]any{"script": spawnChild + `wait`, "kill_grace": "100ms"}, pidInput, nil)
	id, err := h.Execute(ctx, block, map[string]any{"pidfile": pf})
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, pf)
	// The command_started progress event is recorded alongside the command
	// starting; wait for it, so that "before" is the whole log of a running
	// block and any later event is the resume's doing.
	var before execution.BlockExecution
	for deadline := time.Now().Add(10 * time.Second); ; {
		before, _ = h.Block(ctx, id)
		if len(before.Events) > 0 && before.Events[len(before.Events)-1].EventType == execution.EventProgress {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no command_started progress event: %s", plugintest.Describe(before.Events))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.Resume(ctx, id, block); err != nil {
		t.Fatal(err)
	}
	after, _ := h.Block(ctx, id)
	if len(after.Events) != len(before.Events) || !alive(child) {
		t.Errorf("resuming a block this process runs changed something: %s → %s", plugintest.Describe(before.Events), plugintest.Describe(after.Events))
	}
	if err := h.Cancel(ctx, id, "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitGone(t, child, "the command")
}

func TestCancelNotRunningHere(t *testing.T) {
	h, _ := newHarness(t, shellOptions())
	ctx := testContext(t)
	block := shellBlock(map[string]any{"script": countingScript}, markerInput, okOutput)
	id, seq, err := h.Create(ctx, block, plugintest.Node(block), map[string]any{"marker": pidFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	stale := staleCommand(t, id)
	appendLog(ctx, t, h, id, seq, execution.Event{EventType: execution.EventExecutorAssigned}, execution.Event{EventType: execution.EventStarted},
		progressEvent(t, map[string]any{"type": "command_started", "pid": stale}))
	if err := h.Cancel(ctx, id, "stop it"); err != nil {
		t.Fatal(err)
	}
	b, err := h.Block(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCancelled {
		t.Errorf("state %s, want cancelled", b.State)
	}
	waitGone(t, stale, "the command a previous process left running")
}
