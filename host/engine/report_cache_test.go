package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// The report of a running flow built with a BlockCache is the report
// built without one — before the cache holds anything, once it holds the
// ended blocks, and after an ended block's log grew by an administrative
// event (which must be read again, not served stale).
func TestStatusCachedMatchesStatus(t *testing.T) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	f := newFlow(t, cat, "Cached")
	done := block("Done", nil, []string{"x"})
	a, b := f.node("a", done), f.node("b", done)
	hold := f.node("hold", block("Hold", nil, nil))
	f.edge(uuid.Nil, a, nil)
	f.edge(uuid.Nil, b, nil)
	f.edge(uuid.Nil, hold, nil)
	flow := f.add()
	p.behaviours["Done"] = outputs(map[string]any{"x": 1})
	p.behaviours["Hold"] = hanging
	h := newHarness(t, cat, nil, p)
	ctx := context.Background()
	fid, err := h.engine.StartFlow(ctx, flow.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a and b complete while hold runs", func() bool {
		r := h.status(fid)
		n := 0
		for _, br := range r.Blocks {
			if br.State == execution.StateCompleted {
				n++
			}
		}
		return n == 2 && len(r.Blocks) == 3
	})
	var c BlockCache
	same := func(when string) {
		t.Helper()
		plain, err := h.engine.Status(ctx, fid)
		if err != nil {
			t.Fatal(err)
		}
		cached, err := h.engine.StatusCached(ctx, fid, &c)
		if err != nil {
			t.Fatal(err)
		}
		pj, _ := json.Marshal(plain)
		cj, _ := json.Marshal(cached)
		if string(pj) != string(cj) {
			t.Fatalf("%s: cached report differs:\n got %s\nwant %s", when, cj, pj)
		}
		if cached.State != execution.StateInProgress {
			t.Fatalf("%s: state %s, want in_progress", when, cached.State)
		}
	}
	same("empty cache")
	if len(c.m) != 2 {
		t.Fatalf("cache holds %d block reports, want the 2 ended ones (not the running one)", len(c.m))
	}
	same("warm cache")

	// An administrative event after a's end changes its executor.
	children, err := h.store.ListExecutions(ctx, store.Filter{Parent: fid, Kind: execution.KindBlock})
	if err != nil {
		t.Fatal(err)
	}
	var ended execution.BlockExecution
	for _, ch := range children {
		evs, _ := h.store.Events(ctx, ch.ID, 0)
		if proj, _ := execution.ProjectBlock(evs); proj.State == execution.StateCompleted {
			ended = proj
			break
		}
	}
	who := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "janitor"}
	ev, err := execution.NewEvent(ended.ID, execution.EventExecutorAssigned, who, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev.Metadata = map[string]any{execution.MetadataAdministrative: true}
	if _, err := h.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	same("after an administrative event")
	r, _ := h.engine.StatusCached(ctx, fid, &c)
	for _, br := range r.Blocks {
		if br.ExecutionID == ended.ID && (br.Executor == nil || br.Executor.Identifier != "janitor") {
			t.Fatalf("block %s: executor %+v, want the administrative assignment (a stale cached report)", br.Alias, br.Executor)
		}
	}
}
