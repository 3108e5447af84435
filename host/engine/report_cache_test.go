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

// EncodeJSON gives the value json.Marshal gives, with or without kept
// block encodings.
func TestEncodeJSONMatchesMarshal(t *testing.T) {
	var c BlockCache
	one := BlockReport{ExecutionID: uuid.New(), Alias: "a", State: execution.StateCompleted, Outputs: map[string]any{"x": 1.5}}
	proj := execution.BlockExecution{ID: one.ExecutionID, Events: []execution.Event{{Sequence: 3}}}
	kept := one
	c.put(&kept, proj, 0)
	if kept.raw == nil {
		t.Fatal("put kept no encoding")
	}
	two := BlockReport{ExecutionID: uuid.New(), Alias: "b", State: execution.StateInProgress}
	r := &Report{ExecutionID: uuid.New(), Kind: execution.KindFlow, Name: "F", State: execution.StateInProgress,
		Outputs: map[string]map[string]any{}, Progress: &Progress{Done: 1, Total: 2}, Blocks: []BlockReport{kept, two}}
	got, err := r.EncodeJSON()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(&Report{ExecutionID: r.ExecutionID, Kind: r.Kind, Name: r.Name, State: r.State,
		Outputs: r.Outputs, Progress: r.Progress, Blocks: []BlockReport{one, two}})
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("EncodeJSON gave invalid JSON: %v\n%s", err, got)
	}
	_ = json.Unmarshal(want, &w)
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if string(gj) != string(wj) {
		t.Fatalf("EncodeJSON = %s\nwant the value of %s", got, want)
	}
}
