package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store/memory"
)

// loopFlow is a review loop whose body fans out per ticket: implement runs
// once per ticket (for_each), review sends the work back until round 2,
// then ship runs.
func loopFlow(t testing.TB, cat *core.Catalog, p *fakePlugin) *core.Flow {
	f := newFlow(t, cat, "Loop")
	impl := f.node("implement", block("LImpl", []string{"ticket", "?round"}, []string{"code"}),
		map[string]any{"for_each": map[string]any{"items": "inputs.tickets", "as": "ticket"}})
	review := f.node("review", block("LReview", []string{"code"}, []string{"verdict", "round"}))
	ship := f.node("ship", block("LShip", []string{"code"}, []string{"shipped"}))
	f.edge(uuid.Nil, impl, nil)
	f.edge(impl, review, nil)
	f.edge(review, impl, cel(`outputs.verdict == "changes_requested"`))
	f.edge(review, ship, cel(`outputs.verdict == "approved"`))
	f.edge(impl, ship, nil)
	p.behaviours["LImpl"] = produce(func(in map[string]any) map[string]any {
		round, _ := in["round"].(float64)
		return map[string]any{"code": fmt.Sprintf("%v@%v", in["ticket"], round+1)}
	})
	p.behaviours["LReview"] = produce(func(in map[string]any) map[string]any {
		code := fmt.Sprint(in["code"])
		if strings.Contains(code, "@2") {
			return map[string]any{"verdict": "approved", "round": 2.0}
		}
		return map[string]any{"verdict": "changes_requested", "round": 1.0}
	})
	p.behaviours["LShip"] = produce(func(in map[string]any) map[string]any { return map[string]any{"shipped": in["code"]} })
	return f.add()
}

// runsByAlias lists a report's blocks per alias as "iteration[index]=state".
func runsByAlias(r *Report) map[string][]string {
	out := map[string][]string{}
	for _, b := range r.Blocks {
		name := fmt.Sprint(b.Iteration)
		if b.Index != nil {
			name += fmt.Sprintf("[%d]", *b.Index)
		}
		if b.Attempt > 1 {
			name += fmt.Sprintf("#%d", b.Attempt)
		}
		out[b.Alias] = append(out[b.Alias], name+"="+string(b.State))
	}
	return out
}

var loopRuns = map[string][]string{
	"implement": {"1[0]=completed", "1[1]=completed", "1[2]=completed", "2[0]=completed", "2[1]=completed", "2[2]=completed"},
	"review":    {"1=completed", "2=completed"},
	"ship":      {"1=completed"},
}

func TestLoopWithForEachThroughTheEngine(t *testing.T) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	loopFlow(t, cat, p)
	h := newHarness(t, cat, nil, p)
	id, err := h.engine.StartFlow(context.Background(), "Loop", map[string]any{"tickets": []any{"A", "B", "C"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(id); s != execution.StateCompleted {
		t.Fatalf("flow %s: %s", s, h.status(id).Reason)
	}
	r := h.status(id)
	if got := runsByAlias(r); !reflect.DeepEqual(got, loopRuns) {
		t.Errorf("blocks = %v, want %v", got, loopRuns)
	}
	if want := []any{"A@2", "B@2", "C@2"}; !reflect.DeepEqual(r.Outputs["ship"]["shipped"], want) {
		t.Errorf("ship outputs %v, want the latest iteration's list %v", r.Outputs["ship"], want)
	}
	checkNoDuplicates(t, h, id)
	// The created payloads carry iteration and index.
	events, _ := h.store.Events(context.Background(), r.Blocks[4].ExecutionID, 0)
	c, _ := execution.CreatedOf(events)
	if c.Iteration != 2 || c.Index == nil || *c.Index != 1 || c.Inputs["ticket"] != "B" {
		t.Errorf("created payload of implement iteration 2 item 1 = %+v", c)
	}
}

// TestCrashAtEveryAppendInALoop kills the host after each append of a run
// of the loop flow in turn and recovers: every iteration and item runs
// exactly once.
func TestCrashAtEveryAppendInALoop(t *testing.T) {
	total := func() int64 {
		cat := core.NewCatalog()
		p := newFakePlugin("fake", "1")
		loopFlow(t, cat, p)
		st := &crashingStore{EventStore: memory.New(), limit: -1}
		h := newHarness(t, cat, st, p)
		id, err := h.engine.StartFlow(context.Background(), "Loop", map[string]any{"tickets": []any{"A", "B", "C"}})
		if err != nil {
			t.Fatal(err)
		}
		if s := h.wait(id); s != execution.StateCompleted {
			t.Fatalf("uninterrupted run: %s", s)
		}
		return st.appends.Load()
	}()
	step := int64(1)
	if testing.Short() {
		step = 7
	}
	for limit := int64(1); limit < total; limit += step {
		t.Run(fmt.Sprintf("after append %d of %d", limit, total), func(t *testing.T) {
			mem := memory.New()
			cat := core.NewCatalog()
			first := newFakePlugin("fake", "1")
			loopFlow(t, cat, first)
			st := &crashingStore{EventStore: mem, limit: limit}
			h1 := newHarness(t, cat, st, first)
			crashed := make(chan struct{})
			st.onCrash = func() { first.Kill(); h1.shutdown(); close(crashed) }
			id, err := h1.engine.StartFlow(context.Background(), "Loop", map[string]any{"tickets": []any{"A", "B", "C"}})
			if err != nil {
				t.Fatal(err)
			}
			<-crashed
			second := newFakePlugin("fake", "2")
			loopFlow(t, core.NewCatalog(), second)
			h2 := newHarness(t, cat, mem, second)
			if err := h2.engine.Recover(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := h2.wait(id); s != execution.StateCompleted {
				t.Fatalf("after recovery the flow is %s: %s", s, h2.status(id).Reason)
			}
			if got := runsByAlias(h2.status(id)); !reflect.DeepEqual(got, loopRuns) {
				t.Errorf("blocks = %v, want %v", got, loopRuns)
			}
			checkNoDuplicates(t, &harness{store: mem}, id)
		})
	}
}

func TestTimeoutThroughTheEngine(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Deadline")
	b := block("Stuck", nil, []string{"ok"})
	b.Metadata["timeout"] = "150ms"
	a := f.node("stuck", b, map[string]any{"retry": map[string]any{"max_attempts": 2, "backoff": "1ms"}})
	f.edge(uuid.Nil, a, nil)
	f.add()
	p := newFakePlugin("fake", "1")
	p.behaviours["Stuck"] = func(ctx context.Context, r *blockRun) error {
		if r.attempt == 1 {
			return hanging(ctx, r)
		}
		return outputs(map[string]any{"ok": true})(ctx, r)
	}
	h := newHarness(t, cat, nil, p)
	start := time.Now()
	id, err := h.engine.StartFlow(context.Background(), "Deadline", nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if s, err := h.engine.Wait(wctx, id); s != execution.StateCompleted {
		for _, b := range h.status(id).Blocks {
			t.Logf("DEBUG %+v", b)
		}
		t.Fatalf("flow %s %v: %s", s, err, h.status(id).Reason)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("finished after %s, before the 150ms timeout could fire", took)
	}
	r := h.status(id)
	if got := runsByAlias(r)["stuck"]; !reflect.DeepEqual(got, []string{"1=failed", "1#2=completed"}) {
		t.Fatalf("blocks = %v", got)
	}
	if reason := r.Blocks[0].Reason; !strings.Contains(reason, `node "stuck": timed out: not finished within its timeout of 150ms`) {
		t.Errorf("reason = %q", reason)
	}
	eventually(t, "the plugin is asked to stop the timed-out block", func() bool { return len(p.callsOf("cancel")) == 1 })
	events, _ := h.store.Events(context.Background(), r.Blocks[0].ExecutionID, 0)
	c, _ := execution.CreatedOf(events)
	if c.Deadline == nil || c.Deadline.Sub(events[0].Timestamp) > 150*time.Millisecond || c.Deadline.Sub(events[0].Timestamp) < 140*time.Millisecond {
		t.Errorf("deadline %v recorded for a block created at %s", c.Deadline, events[0].Timestamp)
	}
}

// TestDeadlineSurvivesARestart: a block's deadline is recorded when it is
// created, so a host that restarts after the deadline passed fails the
// block at once, not a whole timeout later.
func TestDeadlineSurvivesARestart(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Restart")
	f.node("slow", block("Slow", nil, nil), map[string]any{"timeout": "400ms"})
	f.add()
	mem := memory.New()
	first := newFakePlugin("fake", "1")
	first.behaviours["Slow"] = hanging
	h1 := newHarness(t, cat, mem, first)
	id, err := h1.engine.StartFlow(context.Background(), "Restart", nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the block runs", func() bool { return len(first.callsOf("execute")) == 1 })
	h1.shutdown()
	first.Kill()
	blocks := h1.status(id).Blocks
	events, _ := mem.Events(context.Background(), blocks[0].ExecutionID, 0)
	c, _ := execution.CreatedOf(events)
	if c.Deadline == nil {
		t.Fatal("no deadline recorded")
	}
	time.Sleep(time.Until(*c.Deadline) + 50*time.Millisecond) // the host is down when it passes

	second := newFakePlugin("fake", "2")
	second.behaviours["Slow"] = hanging
	h2 := newHarness(t, cat, mem, second)
	restarted := time.Now()
	if err := h2.engine.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := h2.wait(id); s != execution.StateFailed {
		t.Fatalf("flow %s, want failed by the timeout", s)
	}
	if took := time.Since(restarted); took > 300*time.Millisecond {
		t.Errorf("timed out %s after the restart; the deadline had passed, so it should be at once", took)
	}
	if r := h2.status(id); len(r.Blocks) == 0 || !strings.Contains(r.Blocks[len(r.Blocks)-1].Reason, "timed out: not finished within its timeout of 400ms") {
		t.Errorf("report %+v: want the block's reason to say it timed out", r)
	}
}
