package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// countRuns wraps every behaviour of p so that runs counts, per block
// name, the block executions the plugin worked on.
func countRuns(p *fakePlugin) func(name string) int {
	var mu sync.Mutex
	runs := map[string]map[uuid.UUID]bool{}
	for name, b := range p.behaviours {
		p.behaviours[name] = func(ctx context.Context, r *blockRun) error {
			mu.Lock()
			if runs[name] == nil {
				runs[name] = map[uuid.UUID]bool{}
			}
			runs[name][r.id] = true
			mu.Unlock()
			return b(ctx, r)
		}
	}
	return func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return len(runs[name])
	}
}

var launchInputs = map[string]any{"version": "1.2", "max_latency_ms": 200.0}

// A contract whose Docs work flow failed is rerun after the fix: the work
// flows and sub-contract that had completed are claimed (reported as the
// executions they are, their blocks not run again), the rest and the
// assessment run, and the contract completes with its outcome met.
func TestRerunOfAContractClaimsItsCompletedWork(t *testing.T) {
	ctx := context.Background()
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	contractFixture(t, cat, p)
	broken := true
	var mu sync.Mutex
	write := p.behaviours["Write"]
	p.behaviours["Write"] = func(ctx context.Context, r *blockRun) error {
		mu.Lock()
		b := broken
		mu.Unlock()
		if b {
			return failing("no ink")(ctx, r)
		}
		return write(ctx, r)
	}
	h := newHarness(t, cat, nil, p)
	old, err := h.engine.StartContract(ctx, "Launch", launchInputs)
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(old); s != execution.StateFailed {
		t.Fatalf("first run: %s", s)
	}
	first := h.status(old)
	completed := map[string]uuid.UUID{} // flow or contract name → its completed execution
	ended := map[string]uuid.UUID{}     // … → its execution that did not complete
	for _, r := range append(append([]*Report{}, first.Flows...), first.SubContracts...) {
		if r.State == execution.StateCompleted {
			completed[r.Name] = r.ExecutionID
		} else {
			ended[r.Name] = r.ExecutionID
		}
	}

	mu.Lock()
	broken = false
	mu.Unlock()
	rerun, err := h.engine.Rerun(ctx, old, RerunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(rerun); s != execution.StateCompleted {
		t.Fatalf("rerun: %s: %s", s, h.status(rerun).Reason)
	}
	r := h.status(rerun)
	if r.RerunOf != old || r.OutcomesMet == nil || !*r.OutcomesMet {
		t.Errorf("rerun_of %s, outcomes met %v", r.RerunOf, r.OutcomesMet)
	}
	for _, c := range append(append([]*Report{}, r.Flows...), r.SubContracts...) {
		if id, ok := completed[c.Name]; ok {
			if !c.Claimed || c.ExecutionID != id {
				t.Errorf("%s: claimed %v, execution %s; want the first run's %s claimed", c.Name, c.Claimed, c.ExecutionID, id)
			}
		} else if c.Claimed || c.State != execution.StateCompleted || c.RerunOf != ended[c.Name] {
			t.Errorf("%s: claimed %v, %s, rerun of %s; want a completed rerun of %s", c.Name, c.Claimed, c.State, c.RerunOf, ended[c.Name])
		}
	}
	if _, ok := completed["Docs"]; ok {
		t.Fatal("the failed Docs flow completed in the first run")
	}
	// What was claimed did not run again: the rerun created no execution
	// of it.
	children, err := h.store.ListExecutions(ctx, store.Filter{Parent: rerun})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children {
		if cr := h.status(c.ID); completed[cr.Name] != uuid.Nil && cr.Role == execution.RoleWork || cr.Kind == execution.KindContract && completed[cr.Name] != uuid.Nil {
			t.Errorf("the rerun ran %s again (%s)", cr.Name, c.ID)
		}
	}
	if len(completed) == 0 {
		t.Log("nothing had completed in the first run: only the refusal-free path was exercised")
	}
	if s := h.status(old); s.State != execution.StateFailed {
		t.Errorf("old contract now %s", s.State)
	}
}

// run CONTRACT --claim: a completed Build flow execution counts as the
// contract's Build work flow; a flow that is not one of its work flows, a
// flow claimed twice, or one that is not completed is refused and nothing
// is recorded.
func TestStartContractWithClaims(t *testing.T) {
	ctx := context.Background()
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	contractFixture(t, cat, p)
	p.behaviours["Bench"] = produce(func(map[string]any) map[string]any { return map[string]any{"latency_ms": 180.0} })
	runs := countRuns(p)
	h := newHarness(t, cat, nil, p)
	build, err := h.engine.StartFlow(ctx, "Build", map[string]any{"version": "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	legal, err := h.engine.StartFlow(ctx, "Legal", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(build)
	h.wait(legal)
	all := func() int {
		infos, err := h.store.ListExecutions(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(infos)
	}
	n := all()
	for _, claims := range [][]uuid.UUID{{legal}, {build, build}, {uuid.New()}} {
		if _, err := h.engine.StartContract(ctx, "Launch", launchInputs, WithClaims(claims...)); err == nil {
			t.Errorf("claims %v accepted", claims)
		} else if !errors.Is(err, ErrBadClaim) && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("claims %v: %v, want ErrBadClaim", claims, err)
		}
	}
	if got := all(); got != n {
		t.Errorf("refused starts recorded %d executions", got-n)
	}
	k, err := h.engine.StartContract(ctx, "Launch", launchInputs, WithClaims(build))
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(k); s != execution.StateCompleted {
		t.Fatalf("contract: %s: %s", s, h.status(k).Reason)
	}
	r := h.status(k)
	if f := r.Flows[0]; f.ExecutionID != build || !f.Claimed || f.Name != "Build" {
		t.Errorf("work flow 0 = %s %s claimed %v, want the Build execution %s claimed", f.Name, f.ExecutionID, f.Claimed, build)
	}
	if r.Flows[1].Claimed {
		t.Errorf("Docs claimed")
	}
	if got := runs("Compile"); got != 1 {
		t.Errorf("Compile ran %d times, want once (the claimed run)", got)
	}
	if r.OutcomesMet == nil || !*r.OutcomesMet {
		t.Errorf("outcomes met %v: the assessment must see the claimed Build's artifact", r.OutcomesMet)
	}
}

// TestCrashAtEveryAppendOfAContractRerun kills the host after each append
// of a contract's rerun in turn and recovers: the rerun completes, the
// completed children of the first run stay claimed (the rerun creates no
// execution of them), and no event is recorded twice.
func TestCrashAtEveryAppendOfAContractRerun(t *testing.T) {
	ctx := context.Background()
	rerunID := id("the contract rerun")
	setup := func(t *testing.T) (*core.Catalog, store.EventStore, uuid.UUID) {
		cat := core.NewCatalog()
		p := newFakePlugin("fake", "0")
		contractFixture(t, cat, p)
		p.behaviours["Write"] = failing("no ink")
		mem := memory.New()
		h := newHarness(t, cat, mem, p)
		old, err := h.engine.StartContract(ctx, "Launch", launchInputs)
		if err != nil {
			t.Fatal(err)
		}
		if s := h.wait(old); s != execution.StateFailed {
			t.Fatalf("first run: %s", s)
		}
		h.shutdown()
		p.Kill()
		return cat, mem, old
	}
	plugin := func(generation string) *fakePlugin {
		p := newFakePlugin("fake", generation)
		contractFixture(t, core.NewCatalog(), p) // behaviours only
		return p
	}
	total := func() int64 {
		cat, mem, old := setup(t)
		st := &crashingStore{EventStore: mem, limit: -1}
		h := newHarness(t, cat, st, plugin("1"))
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
		step = 5
	}
	for limit := int64(1); limit < total; limit += step {
		t.Run(fmt.Sprintf("after append %d of %d", limit, total), func(t *testing.T) {
			cat, mem, old := setup(t)
			first := plugin("1")
			st := &crashingStore{EventStore: mem, limit: limit}
			h1 := newHarness(t, cat, st, first)
			crashed := make(chan struct{})
			st.onCrash = func() { first.Kill(); h1.shutdown(); close(crashed) }
			if _, err := h1.engine.Rerun(ctx, old, RerunOptions{}, WithExecutionID(rerunID)); err != nil {
				t.Fatal(err)
			}
			// How much the first run completed before Docs failed varies
			// (Build and the sub-contract race the failure), and with it
			// the rerun's number of appends: one that ends before the
			// limit has nothing to crash at.
			ended := make(chan struct{})
			go func() {
				wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				_, _ = h1.engine.Wait(wctx, rerunID)
				close(ended)
			}()
			select {
			case <-crashed:
			case <-ended:
				if !st.dead.Load() {
					t.Skipf("this rerun ended in fewer than %d appends", limit)
				}
				<-crashed
			}
			h2 := newHarness(t, cat, mem, plugin("2"))
			if err := h2.engine.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if s := h2.wait(rerunID); s != execution.StateCompleted {
				t.Fatalf("after recovery the rerun is %s: %s", s, h2.status(rerunID).Reason)
			}
			before := h2.status(old)
			after := h2.status(rerunID)
			claimed := map[uuid.UUID]bool{}
			for _, c := range append(append([]*Report{}, after.Flows...), after.SubContracts...) {
				if c.Claimed {
					claimed[c.ExecutionID] = true
				}
			}
			for _, c := range append(append([]*Report{}, before.Flows...), before.SubContracts...) {
				if c.State == execution.StateCompleted && !claimed[c.ExecutionID] {
					t.Errorf("%s completed in the first run but is not claimed", c.Name)
				}
			}
			children, err := mem.ListExecutions(ctx, store.Filter{Parent: rerunID})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range children {
				checkNoDuplicates(t, h2, c.ID)
			}
			checkNoDuplicates(t, h2, rerunID)
		})
	}
}
