package engine

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// waitsForPerson is a task as the manual plugin makes one: assigned,
// started, then a waiting event, and nothing more until a person ends it
// (the test plays the person by appending the outcome).
func waitsForPerson(ctx context.Context, r *blockRun) error {
	if err := r.start(ctx); err != nil {
		return err
	}
	if err := r.emit(ctx, "waiting", execution.EventProgress,
		sdk.WaitingPayload{Type: sdk.ProgressWaiting, For: "person", Reason: "a review"}); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// personCompletes ends a waiting task as the host's task service does.
func personCompletes(t *testing.T, st store.EventStore, id uuid.UUID) {
	t.Helper()
	who := &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "rita"}
	out, _ := execution.MarshalPayload(execution.Outcome{})
	_, err := st.Append(context.Background(), []execution.Event{
		{ID: uuid.New(), ExecutionID: id, EventType: execution.EventOutcomeProduced, Executor: who, Payload: out},
		{ID: uuid.New(), ExecutionID: id, EventType: execution.EventCompleted, Executor: who},
	}, store.AppendOptions{})
	if err != nil {
		t.Fatalf("completing task %s: %v", id, err)
	}
}

func waits(st store.EventStore, id uuid.UUID) bool {
	events, err := st.Events(context.Background(), id, 0)
	return err == nil && sdk.Waits(events)
}

func state(st store.EventStore, id uuid.UUID) execution.State {
	events, err := st.Events(context.Background(), id, 0)
	if err != nil || len(events) == 0 {
		return ""
	}
	return execution.DeriveBlockState(events)
}

// TestWaitingHoldsNoSlot: with max_concurrency 1 on a plugin, two tasks
// that wait for people and a block that works all get going — a waiting
// block gives its slot back — while the work itself stays bounded to one
// at a time. The host is then killed with both tasks waiting and a block
// at work; the restarted host rebuilds its books from the log: the
// resumed tasks hold no slot, so the work after the block that was
// running still gets one before any person answers.
func TestWaitingHoldsNoSlot(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "People and work")
	// Definition order is dispatch order: the tasks come first, so the one
	// slot is theirs before it is the work's.
	t1 := f.node("t1", block("Task", nil, nil))
	t2 := f.node("t2", block("Task", nil, nil))
	w1 := f.node("w1", block("Build", nil, nil))
	w2 := f.node("w2", block("Ship", nil, nil))
	f.edge(uuid.Nil, t1, nil)
	f.edge(uuid.Nil, t2, nil)
	f.edge(uuid.Nil, w1, nil)
	f.edge(w1, w2, nil)
	f.add()
	limitOne := func(c *Config, _ *router.Config) { c.MaxConcurrency = map[string]int{"fake": 1} }

	mem := memory.New()
	first := newFakePlugin("fake", "1")
	first.behaviours["Task"] = waitsForPerson
	first.behaviours["Build"] = hanging // at work when the host dies
	h1 := newHarness(t, cat, mem, first, limitOne)
	id, err := h1.engine.StartFlow(context.Background(), "People and work", nil)
	if err != nil {
		t.Fatal(err)
	}
	task1, task2 := blockExecutionID(id, t1, 1), blockExecutionID(id, t2, 1)
	build, ship := blockExecutionID(id, w1, 1), blockExecutionID(id, w2, 1)
	eventually(t, "both tasks wait and the build runs, on one slot", func() bool {
		return waits(mem, task1) && waits(mem, task2) && state(mem, build) == execution.StateInProgress
	})
	// The build holds the one slot; the waiting tasks hold none. (Were
	// waits counted, the build could not have started; were the limit
	// ignored, nothing here would tell — so look at the books too.)
	if running, queued := h1.engine.dispatch.inUse("fake"); running != 1 || queued != 0 {
		t.Errorf("before the crash: %d slots taken, %d queued; want 1 (the build) and 0", running, queued)
	}
	h1.shutdown()
	first.Kill()

	second := newFakePlugin("fake", "2")
	second.behaviours["Task"] = waitsForPerson // resume: keep waiting
	h2 := newHarness(t, cat, mem, second, limitOne)
	if err := h2.engine.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the build and then the ship complete while both tasks still wait", func() bool {
		return state(mem, ship) == execution.StateCompleted
	})
	for _, task := range []uuid.UUID{task1, task2} {
		if s := state(mem, task); s != execution.StateInProgress {
			t.Fatalf("task %s is %s before anyone answered", task, s)
		}
	}
	if len(second.callsOf("resume")) < 3 {
		t.Errorf("ResumeBlock calls %v, want the two tasks and the build handed back", second.callsOf("resume"))
	}
	if running, queued := h2.engine.dispatch.inUse("fake"); running != 0 || queued != 0 {
		t.Errorf("after the restart, with only waiting tasks open: %d slots taken, %d queued; want none", running, queued)
	}

	personCompletes(t, mem, task1)
	personCompletes(t, mem, task2)
	if s := h2.wait(id); s != execution.StateCompleted {
		t.Fatalf("flow %s", s)
	}
	if running, _ := h2.engine.dispatch.inUse("fake"); running != 0 {
		t.Errorf("%d slots still taken after the flow ended", running)
	}
}

// TestWaitingKeepsTheBoundOnWork: waiting tasks do not open the gate for
// work beyond the limit — two working blocks on a plugin limited to one
// never overlap, though a task waits beside them.
func TestWaitingKeepsTheBoundOnWork(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Bounded")
	task := f.node("task", block("Task", nil, nil))
	a := f.node("a", block("Work", nil, nil))
	b := f.node("b", block("Work", nil, nil))
	for _, n := range []uuid.UUID{task, a, b} {
		f.edge(uuid.Nil, n, nil)
	}
	f.add()
	p := newFakePlugin("fake", "1")
	p.behaviours["Task"] = waitsForPerson
	running := make(chan struct{}, 2)
	overlapped := make(chan struct{}, 1)
	p.behaviours["Work"] = func(ctx context.Context, r *blockRun) error {
		running <- struct{}{}
		if len(running) > 1 {
			select {
			case overlapped <- struct{}{}:
			default:
			}
		}
		defer func() { <-running }()
		if err := r.start(ctx); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond) // long enough for an overlap to show
		return r.complete(ctx, map[string]any{})
	}
	mem := memory.New()
	h := newHarness(t, cat, mem, p, func(c *Config, _ *router.Config) { c.MaxConcurrency = map[string]int{"fake": 1} })
	id, err := h.engine.StartFlow(context.Background(), "Bounded", nil)
	if err != nil {
		t.Fatal(err)
	}
	ta, tb := blockExecutionID(id, a, 1), blockExecutionID(id, b, 1)
	eventually(t, "both works complete while the task waits", func() bool {
		return state(mem, ta) == execution.StateCompleted && state(mem, tb) == execution.StateCompleted
	})
	select {
	case <-overlapped:
		t.Error("two working blocks ran at once on a plugin limited to one")
	default:
	}
	personCompletes(t, mem, blockExecutionID(id, task, 1))
	if s := h.wait(id); s != execution.StateCompleted {
		t.Fatalf("flow %s", s)
	}
}
