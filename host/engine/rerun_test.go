package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// rerunWorld is a flow with fan-out, a join and a description-only
// condition before the node that fails while broken is set:
//
//	s → a → j ; s → b → j ; j →(ask) c → end
//
// It counts the block executions each block's plugin work ran for.
type rerunWorld struct {
	broken atomic.Bool
	mu     sync.Mutex
	runs   map[string]map[uuid.UUID]bool // block name → block executions worked on
	asked  atomic.Int64
}

func newRerunWorld() *rerunWorld {
	w := &rerunWorld{runs: map[string]map[uuid.UUID]bool{}}
	w.broken.Store(true)
	return w
}

func (w *rerunWorld) install(t testing.TB, cat *core.Catalog, p *fakePlugin) {
	pass := func(name string) behaviour {
		return func(ctx context.Context, r *blockRun) error {
			w.mu.Lock()
			if w.runs[name] == nil {
				w.runs[name] = map[uuid.UUID]bool{}
			}
			w.runs[name][r.id] = true
			w.mu.Unlock()
			if name == "RC" && w.broken.Load() {
				return failing("the disk is full")(ctx, r)
			}
			return produce(func(in map[string]any) map[string]any { return map[string]any{"v": fmt.Sprint(in["v"], "+")} })(ctx, r)
		}
	}
	for _, name := range []string{"RS", "RA", "RB", "RJ", "RC", "RE"} {
		p.behaviours[name] = pass(name)
	}
	p.conditions = func(sdk.ConditionRequest) (sdk.ConditionResult, error) {
		w.asked.Add(1)
		return sdk.ConditionResult{Value: true}, nil
	}
	if cat == nil {
		return
	}
	f := newFlow(t, cat, "Rerun")
	s := f.node("s", block("RS", []string{"v"}, []string{"v"}))
	a := f.node("a", block("RA", []string{"v"}, []string{"v"}))
	b := f.node("b", block("RB", []string{"v"}, []string{"v"}))
	j := f.node("j", block("RJ", []string{"v"}, []string{"v"}))
	c := f.node("c", block("RC", []string{"v"}, []string{"v"}))
	end := f.node("end", block("RE", []string{"v"}, []string{"v"}))
	f.edge(uuid.Nil, s, nil)
	f.edge(s, a, nil)
	f.edge(s, b, nil)
	f.edge(a, j, nil)
	f.edge(b, j, nil)
	f.edge(j, c, ask("ready to load?"))
	f.edge(c, end, nil)
	f.add()
}

func (w *rerunWorld) count(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs[name])
}

// failedRun runs the flow once to its failure at c.
func failedRun(t *testing.T, h *harness) uuid.UUID {
	t.Helper()
	old, err := h.engine.StartFlow(context.Background(), "Rerun", map[string]any{"v": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(old); s != execution.StateFailed {
		t.Fatalf("first run: %s, want failed", s)
	}
	return old
}

// logOf is every event of an execution and its own block executions.
func logOf(t *testing.T, st store.EventStore, id uuid.UUID) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	ids := []uuid.UUID{id}
	children, err := st.ListExecutions(ctx, store.Filter{Parent: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children {
		ids = append(ids, c.ID)
	}
	var out []uuid.UUID
	for _, x := range ids {
		events, err := st.Events(ctx, x, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			out = append(out, ev.ID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// checkRerun asserts what a rerun of old (failed at c) must be: s, a, b
// and j claimed from old, c and end its own, completed with c's output.
func checkRerun(t *testing.T, h *harness, old, rerun uuid.UUID) {
	t.Helper()
	r := h.status(rerun)
	if r.State != execution.StateCompleted || r.RerunOf != old {
		t.Fatalf("rerun: %s (%s), rerun_of %s", r.State, r.Reason, r.RerunOf)
	}
	got := map[string]string{}
	for _, b := range r.Blocks {
		who := "own"
		if b.SharedFrom == old {
			who = "claimed"
		} else if b.SharedFrom != uuid.Nil {
			who = "claimed from " + b.SharedFrom.String()
		}
		if _, dup := got[b.Alias]; dup {
			t.Errorf("%s listed twice in the rerun's blocks", b.Alias)
		}
		got[b.Alias] = who + " " + string(b.State)
	}
	want := map[string]string{
		"s": "claimed completed", "a": "claimed completed", "b": "claimed completed", "j": "claimed completed",
		"c": "own completed", "end": "own completed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rerun blocks = %v, want %v", got, want)
	}
	if v := r.Outputs["end"]["v"]; v != "x+++++" {
		t.Errorf("rerun output = %v, want x+++++ (c took j's claimed output)", v)
	}
	checkNoDuplicates(t, h, rerun)
}

func TestRerunClaimsWhatCompleted(t *testing.T) {
	ctx := context.Background()
	cat := core.NewCatalog()
	w := newRerunWorld()
	p := newFakePlugin("fake", "1")
	w.install(t, cat, p)
	h := newHarness(t, cat, nil, p)
	old := failedRun(t, h)
	before := logOf(t, h.store, old)
	asked := w.asked.Load()

	// Refusals record nothing.
	all := func() int {
		infos, err := h.store.ListExecutions(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(infos)
	}
	n := all()
	if _, err := h.engine.Rerun(ctx, old, RerunOptions{From: []string{"nope"}}); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("--from nope: %v, want ErrUnknownNode", err)
	}
	checkErr := errors.New("inputs refused")
	if _, err := h.engine.Rerun(ctx, old, RerunOptions{Check: func(f *core.Flow, _ *core.Contract, in map[string]any) error {
		if f.Name != "Rerun" || in["v"] != "x" {
			t.Errorf("check got %s %v", f.Name, in)
		}
		return checkErr
	}}); !errors.Is(err, checkErr) {
		t.Errorf("refused by the check: %v", err)
	}
	if _, err := h.engine.Rerun(ctx, uuid.New(), RerunOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown execution: %v, want ErrNotFound", err)
	}
	if got := all(); got != n {
		t.Errorf("refused reruns recorded %d executions", got-n)
	}

	w.broken.Store(false)
	rerun, err := h.engine.Rerun(ctx, old, RerunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(rerun); s != execution.StateCompleted {
		t.Fatalf("rerun: %s: %s", s, h.status(rerun).Reason)
	}
	checkRerun(t, h, old, rerun)
	for name, want := range map[string]int{"RS": 1, "RA": 1, "RB": 1, "RJ": 1, "RC": 2, "RE": 1} {
		if got := w.count(name); got != want {
			t.Errorf("%s worked on %d block executions, want %d", name, got, want)
		}
	}
	if w.asked.Load() != asked {
		t.Errorf("the rerun asked the description-only condition again (%d → %d)", asked, w.asked.Load())
	}
	if after := logOf(t, h.store, old); !reflect.DeepEqual(after, before) {
		t.Errorf("the rerun changed the old execution's logs: %d events before, %d after", len(before), len(after))
	}
	if r := h.status(old); r.State != execution.StateFailed {
		t.Errorf("old execution now %s", r.State)
	}

	// A rerun of the rerun with --from c claims what the rerun claimed,
	// still shared from the execution that created it.
	again, err := h.engine.Rerun(ctx, rerun, RerunOptions{From: []string{"c"}, Inputs: map[string]any{"v": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(again); s != execution.StateCompleted {
		t.Fatalf("second rerun: %s", s)
	}
	r := h.status(again)
	for _, b := range r.Blocks {
		switch b.Alias {
		case "s", "a", "b", "j":
			if b.SharedFrom != old {
				t.Errorf("%s shared from %s, want the first run %s", b.Alias, b.SharedFrom, old)
			}
		default:
			if b.SharedFrom != uuid.Nil {
				t.Errorf("%s claimed, want run again", b.Alias)
			}
		}
	}
	if r.Inputs["v"] != "y" {
		t.Errorf("inputs %v, want v overridden", r.Inputs)
	}

	// A completed execution without --from, and a running one, are refused.
	if _, err := h.engine.Rerun(ctx, again, RerunOptions{}); !errors.Is(err, ErrNothingToRerun) {
		t.Errorf("rerun of a completed run: %v, want ErrNothingToRerun", err)
	}
	p.behaviours["RS"] = hanging
	running, err := h.engine.StartFlow(ctx, "Rerun", map[string]any{"v": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Rerun(ctx, running, RerunOptions{}); !errors.Is(err, ErrNotEnded) {
		t.Errorf("rerun of a running execution: %v, want ErrNotEnded", err)
	}
}

// TestCrashAtEveryAppendOfARerun kills the host after each append of a
// rerun in turn, restarts it on the same store and recovers: the rerun
// completes, with the completed work claimed, never run again, and
// nothing recorded twice.
func TestCrashAtEveryAppendOfARerun(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*core.Catalog, store.EventStore, uuid.UUID) {
		cat := core.NewCatalog()
		w := newRerunWorld()
		p := newFakePlugin("fake", "0")
		w.install(t, cat, p)
		mem := memory.New()
		h := newHarness(t, cat, mem, p)
		old := failedRun(t, h)
		h.shutdown()
		p.Kill()
		return cat, mem, old
	}
	rerunID := id("the rerun")
	total := func() int64 {
		cat, mem, old := setup(t)
		w := newRerunWorld()
		w.broken.Store(false)
		p := newFakePlugin("fake", "1")
		w.install(t, nil, p)
		st := &crashingStore{EventStore: mem, limit: -1}
		h := newHarness(t, cat, st, p)
		if _, err := h.engine.Rerun(ctx, old, RerunOptions{}, WithExecutionID(rerunID)); err != nil {
			t.Fatal(err)
		}
		if s := h.wait(rerunID); s != execution.StateCompleted {
			t.Fatalf("uninterrupted rerun: %s", s)
		}
		return st.appends.Load()
	}()
	step := int64(1)
	if testing.Short() {
		step = 3
	}
	for limit := int64(1); limit < total; limit += step {
		t.Run(fmt.Sprintf("after append %d of %d", limit, total), func(t *testing.T) {
			cat, mem, old := setup(t)
			before := logOf(t, mem, old)
			w := newRerunWorld()
			w.broken.Store(false)
			first := newFakePlugin("fake", "1")
			w.install(t, nil, first)
			st := &crashingStore{EventStore: mem, limit: limit}
			h1 := newHarness(t, cat, st, first)
			crashed := make(chan struct{})
			st.onCrash = func() { first.Kill(); h1.shutdown(); close(crashed) }
			if _, err := h1.engine.Rerun(ctx, old, RerunOptions{}, WithExecutionID(rerunID)); err != nil {
				t.Fatal(err) // limit ≥ 1: the created event and the claims are stored
			}
			<-crashed
			second := newFakePlugin("fake", "2")
			w.install(t, nil, second)
			h2 := newHarness(t, cat, mem, second)
			if err := h2.engine.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if s := h2.wait(rerunID); s != execution.StateCompleted {
				t.Fatalf("after recovery the rerun is %s: %s", s, h2.status(rerunID).Reason)
			}
			checkRerun(t, h2, old, rerunID)
			for _, name := range []string{"RS", "RA", "RB", "RJ"} {
				if n := w.count(name); n != 0 {
					t.Errorf("%s ran again in the rerun (%d)", name, n)
				}
			}
			if n := w.count("RC"); n != 1 {
				t.Errorf("c worked on %d block executions in the rerun, want 1", n)
			}
			if after := logOf(t, mem, old); !reflect.DeepEqual(after, before) {
				t.Errorf("the rerun changed the old execution's logs")
			}
		})
	}
}
