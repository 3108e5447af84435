package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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

// crashingStore dies after a given number of appends, as the host process
// would if killed right after that append reached the disk: every later
// call fails, and onCrash stops the engine and its plugin.
type crashingStore struct {
	store.EventStore
	limit   int64
	appends atomic.Int64
	dead    atomic.Bool
	once    sync.Once
	onCrash func()
}

var errCrashed = errors.New("host crashed")

func (s *crashingStore) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if s.dead.Load() {
		return nil, errCrashed
	}
	out, err := s.EventStore.Append(ctx, events, opts)
	if err == nil && s.appends.Add(1) == s.limit {
		s.dead.Store(true)
		s.once.Do(func() { go s.onCrash() })
	}
	return out, err
}

func (s *crashingStore) Events(ctx context.Context, id uuid.UUID, after uint64) ([]execution.Event, error) {
	if s.dead.Load() {
		return nil, errCrashed
	}
	return s.EventStore.Events(ctx, id, after)
}

func (s *crashingStore) ListExecutions(ctx context.Context, f store.Filter) ([]store.ExecutionInfo, error) {
	if s.dead.Load() {
		return nil, errCrashed
	}
	return s.EventStore.ListExecutions(ctx, f)
}

// crashFlow is a flow with a bit of everything: fan-out, a join, a CEL
// branch with a dead path, a description-only condition and a retry.
func crashFlow(t testing.TB, cat *core.Catalog, p *fakePlugin) *core.Flow {
	f := newFlow(t, cat, "Crash")
	pass := produce(func(in map[string]any) map[string]any { return map[string]any{"v": fmt.Sprint(in["v"], "+")} })
	s := f.node("s", block("CS", []string{"v"}, []string{"v"}))
	a := f.node("a", block("CA", []string{"v"}, []string{"v"}))
	b := f.node("b", block("CB", []string{"v"}, []string{"v"}), map[string]any{"retry": map[string]any{"max_attempts": 2, "backoff": "1ms"}})
	j := f.node("j", block("CJ", []string{"v"}, []string{"v"}))
	c := f.node("c", block("CC", []string{"v"}, []string{"v"}))
	dead := f.node("dead", block("CD", []string{"v"}, []string{"v"}))
	end := f.node("end", block("CE", []string{"v"}, []string{"v"}))
	f.edge(uuid.Nil, s, nil)
	f.edge(s, a, nil)
	f.edge(s, b, nil)
	f.edge(a, j, nil)
	f.edge(b, j, nil)
	f.edge(j, c, cel(`outputs.v.endsWith("+")`))
	f.edge(j, dead, cel(`outputs.v == ""`))
	f.edge(c, end, ask("looks right"))
	for _, name := range []string{"CS", "CA", "CJ", "CC", "CD", "CE"} {
		p.behaviours[name] = pass
	}
	p.behaviours["CB"] = func(ctx context.Context, r *blockRun) error {
		if r.attempt == 1 {
			return failing("flaky")(ctx, r)
		}
		return pass(ctx, r)
	}
	p.conditions = func(sdk.ConditionRequest) (sdk.ConditionResult, error) { return sdk.ConditionResult{Value: true}, nil }
	return f.add()
}

// TestCrashAtEveryAppend kills the host right after each append of a full
// run in turn, restarts it on the same store and recovers: the flow must
// complete with every node run exactly once (one attempt per slot except
// the retried one) and no event recorded twice.
func TestCrashAtEveryAppend(t *testing.T) {
	total := countAppends(t)
	step := int64(1)
	if testing.Short() {
		step = 5
	}
	for limit := int64(1); limit < total; limit += step {
		t.Run(fmt.Sprintf("after append %d of %d", limit, total), func(t *testing.T) {
			crashAndRecover(t, limit)
		})
	}
}

func countAppends(t *testing.T) int64 {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	crashFlow(t, cat, p)
	st := &crashingStore{EventStore: memory.New(), limit: -1}
	h := newHarness(t, cat, st, p)
	id, err := h.engine.StartFlow(context.Background(), "Crash", map[string]any{"v": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(id); s != execution.StateCompleted {
		t.Fatalf("uninterrupted run: %s", s)
	}
	return st.appends.Load()
}

func crashAndRecover(t *testing.T, limit int64) {
	mem := memory.New()
	cat := core.NewCatalog()
	first := newFakePlugin("fake", "1")
	crashFlow(t, cat, first)
	st := &crashingStore{EventStore: mem, limit: limit}
	h1 := newHarness(t, cat, st, first)
	crashed := make(chan struct{})
	st.onCrash = func() { first.Kill(); h1.shutdown(); close(crashed) }
	id, err := h1.engine.StartFlow(context.Background(), "Crash", map[string]any{"v": "x"})
	if err != nil {
		t.Fatal(err) // limit ≥ 1: the created event is always stored
	}
	<-crashed

	second := newFakePlugin("fake", "2")
	crashFlow(t, core.NewCatalog(), second) // behaviours only
	h2 := newHarness(t, cat, mem, second)
	if err := h2.engine.Recover(context.Background()); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if s := h2.wait(id); s != execution.StateCompleted {
		r := h2.status(id)
		t.Fatalf("after recovery the flow is %s: %s", s, r.Reason)
	}
	r := h2.status(id)
	attempts := map[string][]execution.State{}
	for _, b := range r.Blocks {
		attempts[b.Alias] = append(attempts[b.Alias], b.State)
	}
	ok := []execution.State{execution.StateCompleted}
	want := map[string][]execution.State{
		"s": ok, "a": ok, "b": {execution.StateFailed, execution.StateCompleted}, "j": ok, "c": ok,
		"dead": {execution.StateSkipped}, "end": ok,
	}
	if !reflect.DeepEqual(attempts, want) {
		t.Errorf("blocks = %v, want %v", attempts, want)
	}
	if got := r.Outputs["end"]["v"]; got != "x+++++" {
		t.Errorf("output = %v, want x+++++", got)
	}
	checkNoDuplicates(t, &harness{store: mem}, id)
	flowEvents, _ := mem.Events(context.Background(), id, 0)
	decisions := 0
	for _, ev := range flowEvents {
		if ev.EventType == execution.EventProgress {
			decisions++
		}
	}
	if decisions != 3 {
		t.Errorf("%d condition decisions recorded, want 3 (one per conditional edge)", decisions)
	}
}

func TestPluginRestartedReleasesAndResumes(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Long")
	n := f.node("long", block("LongJob", nil, []string{"done"}))
	f.edge(uuid.Nil, n, nil)
	f.add()
	behaviour := func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		if r.p.generation == "1" {
			<-ctx.Done() // the first process dies mid-block
			return nil
		}
		return r.complete(ctx, map[string]any{"done": r.p.generation})
	}
	first := newFakePlugin("fake", "1")
	first.behaviours["LongJob"] = behaviour
	h := newHarness(t, cat, stampingStore{memory.New()}, first)
	id, err := h.engine.StartFlow(context.Background(), "Long", nil)
	if err != nil {
		t.Fatal(err)
	}
	bid := blockExecutionID(id, n, 1)
	eventually(t, "the block started", func() bool {
		events, _ := h.store.Events(context.Background(), bid, 0)
		return len(events) == 3
	})
	second := newFakePlugin("fake", "2")
	second.behaviours["LongJob"] = behaviour
	h.restartPlugin(second)
	restart := PluginRestart{Plugin: "fake", DeadInstance: "fake/1",
		Instances: &fakeInstances{live: "fake/2", hands: map[uuid.UUID]string{bid: "fake/1"}}}
	if err := h.engine.PluginRestarted(context.Background(), restart); err != nil {
		t.Fatal(err)
	}
	if s := h.wait(id); s != execution.StateCompleted {
		t.Fatalf("flow %s", s)
	}
	events, _ := h.store.Events(context.Background(), bid, 0)
	var got []string
	for _, ev := range events {
		who := ""
		if ev.Executor != nil {
			who = ev.Executor.Identifier
		}
		got = append(got, string(ev.EventType)+" "+who)
	}
	want := []string{
		"created openoma-host", "executor_assigned fake/1", "started fake/1",
		"executor_released fake/1", "executor_assigned fake/2", "outcome_produced fake/2", "completed fake/2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("block log:\n got %q\nwant %q", got, want)
	}
	if len(second.callsOf("resume")) != 1 {
		t.Errorf("ResumeBlock calls on the restarted plugin: %d, want 1", len(second.callsOf("resume")))
	}
	// A second notice finds nothing open: nothing is released or resumed twice.
	if err := h.engine.PluginRestarted(context.Background(), restart); err != nil {
		t.Fatal(err)
	}
	if len(second.callsOf("resume")) != 1 {
		t.Errorf("a finished block was resumed again")
	}
}

func TestRecoverResumesWithTheRightCall(t *testing.T) {
	// A flow left by a dead host with two open blocks: one the plugin never
	// touched (only created), one it had started.
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Two")
	x := f.node("x", block("X1", nil, nil))
	y := f.node("y", block("Y1", nil, nil))
	f.edge(uuid.Nil, x, nil)
	f.edge(uuid.Nil, y, nil)
	f.add()
	mem := memory.New()
	first := newFakePlugin("fake", "1")
	first.behaviours["X1"] = hanging
	first.executeBlocks = map[string]bool{"Y1": true} // never gets to record anything
	h1 := newHarness(t, cat, mem, first)
	id, err := h1.engine.StartFlow(context.Background(), "Two", nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "x started and y was sent", func() bool {
		events, _ := mem.Events(context.Background(), blockExecutionID(id, x, 1), 0)
		return len(events) == 3 && len(first.callsOf("execute")) == 2
	})
	h1.shutdown()
	first.Kill()

	second := newFakePlugin("fake", "2")
	h2 := newHarness(t, cat, mem, second)
	if err := h2.engine.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := h2.wait(id); s != execution.StateCompleted {
		t.Fatalf("flow %s", s)
	}
	resumed, executed := second.callsOf("resume"), second.callsOf("execute")
	if len(resumed) != 1 || resumed[0].id != blockExecutionID(id, x, 1) {
		t.Errorf("ResumeBlock calls %v, want one for x", resumed)
	}
	if len(executed) != 1 || executed[0].id != blockExecutionID(id, y, 1) {
		t.Errorf("ExecuteBlock calls %v, want one for y (same execution id)", executed)
	}
}
