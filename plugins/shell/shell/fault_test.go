package shell_test

import (
	"testing"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk/plugintest"
)

// TestFaultInjection crashes (in-process: the crash function returns and
// the run stops recording, as a dead process would) at each lifecycle
// point, then resumes with a new adapter, as after a restart, until the
// block completes.
func TestFaultInjection(t *testing.T) {
	cases := []struct {
		point     fault.Point
		times     int
		nested    bool
		lastEvent execution.EventType
		// How often the command ran in all, at least and at most: a crash
		// at "progress" kills the command once it started, which may be
		// before or after its first line ran.
		minRuns, maxRuns int
	}{
		{fault.Assigned, 1, false, execution.EventExecutorAssigned, 1, 1},
		{fault.Started, 1, true, execution.EventStarted, 1, 1},
		{fault.Started, 2, false, execution.EventStarted, 1, 1},
		{fault.Progress, 1, false, execution.EventProgress, 1, 2}, // killed while running, then run again
		{fault.Output, 1, false, execution.EventOutcomeProduced, 1, 1},
	}
	for _, c := range cases {
		t.Run(string(c.point), func(t *testing.T) {
			ctx := testContext(t)
			injector := fault.NewInjector(t.TempDir(), func() {})
			opts := shell.Options{Faults: injector, ProgressInterval: 10 * time.Millisecond}
			h, _ := newHarness(t, opts)
			marker := pidFile(t)
			spec := map[string]any{"crash_after": string(c.point), "times": c.times}
			md := core.Metadata{"shell": map[string]any{"script": `echo run >> "$OPENOMA_INPUT_MARKER"; sleep 0.2; echo '{"ok": true}'`}}
			if c.nested {
				md["openoma"] = map[string]any{"fault": spec}
			} else {
				md["openoma.fault"] = spec
			}
			block := shellBlock(nil, markerInput, okOutput)
			block.Metadata = md
			id, err := h.Execute(ctx, block, map[string]any{"marker": marker})
			if err != nil {
				t.Fatal(err)
			}
			for crash := 1; crash <= c.times; crash++ {
				b := waitCrash(t, h, injector, id, crash)
				// (A resumed run re-records only what the log lacks: after
				// a second crash at "started" the log ends re-assigned.)
				if last := b.Events[len(b.Events)-1].EventType; crash == 1 && last != c.lastEvent {
					t.Fatalf("crash %d: log ends %s, want %s (%s)", crash, last, c.lastEvent, plugintest.Describe(b.Events))
				}
				// The host notices the dead process and releases the block…
				appendLog(ctx, t, h, id, uint64(len(b.Events)), execution.Event{EventType: execution.EventExecutorReleased, Executor: hostExec})
				// …then resumes it on a fresh process.
				h = plugintest.New(t, shell.New(opts), plugintest.Options{Store: h.Store})
				if err := h.Resume(ctx, id, block); err != nil {
					t.Fatal(err)
				}
			}
			b, err := h.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != execution.StateCompleted {
				t.Fatalf("after %d crash(es) and resume: %s (%s)", c.times, b.State, b.FailureReason())
			}
			if err := plugintest.CheckLifecycle(block, b.Events); err != nil {
				t.Error(err)
			}
			if n, _ := injector.Crashes(id, 1); n != c.times {
				t.Errorf("%d crashes counted, want %d", n, c.times)
			}
			if n := runs(t, marker); n < c.minRuns || n > c.maxRuns {
				t.Errorf("the command ran %d times, want %d to %d", n, c.minRuns, c.maxRuns)
			}
		})
	}
}

// waitCrash waits until the injector has counted crash n and returns the
// log as the crash left it.
func waitCrash(t *testing.T, h *plugintest.Harness, in *fault.Injector, id [16]byte, n int) execution.BlockExecution {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := in.Crashes(id, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("crash %d did not happen", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // nothing may follow; give it the chance to show
	b, err := h.Block(testContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadFaultMetadata(t *testing.T) {
	h, _ := newHarness(t, shell.Options{})
	block := shellBlock(`echo '{}'`, nil, nil)
	block.Metadata["openoma.fault"] = map[string]any{"crash_after": "finished"}
	b, err := h.Run(testContext(t), block, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	f := failureOf(t, b)
	if b.State != execution.StateFailed || f.Code != "bad_metadata" {
		t.Fatalf("state %s, failure %+v; want failed bad_metadata", b.State, f)
	}
}
