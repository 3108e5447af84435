package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// TestAFailureIsSaidOnce: a contract whose work flow fails at a node,
// while its other work flow and its sub-contract's flow still run. The
// block's reason is said once, on the block; the flow says where it
// failed, the contract which flow failed where, and what they cancel
// says who stopped it — one line each, never the cause's text again and
// never "stopping: … stopping: …".
func TestAFailureIsSaidOnce(t *testing.T) {
	cat := core.NewCatalog()
	p := newFakePlugin("fake", "1")
	contractFixture(t, cat, p)
	started := make(chan struct{}, 2)
	runsUntilCancelled := func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		started <- struct{}{}
		<-ctx.Done()
		return nil
	}
	p.behaviours["Compile"] = runsUntilCancelled // the Build work flow
	p.behaviours["Review"] = runsUntilCancelled  // the sub-contract's Legal flow
	const cause = "no ink: the printer ran dry"
	p.behaviours["Write"] = func(ctx context.Context, r *blockRun) error {
		for range 2 { // fail once both others run, so there is something to cancel
			select {
			case <-started:
			case <-ctx.Done():
				return nil
			}
		}
		return failing(cause)(ctx, r)
	}
	h := newHarness(t, cat, nil, p)
	cid, err := h.engine.StartContract(context.Background(), "Launch", map[string]any{"version": "1.2", "max_latency_ms": 200.0})
	if err != nil {
		t.Fatal(err)
	}
	if s := h.wait(cid); s != execution.StateFailed {
		t.Fatalf("contract %s, want failed", s)
	}
	r := h.status(cid)
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "no ink"); n != 1 {
		t.Errorf("the block's reason appears %d times in the report, want once:\n%s", n, raw)
	}

	want := map[string]string{
		"contract Launch":          `work flow "Docs" v1 (work_flows[1]) failed at node "write"`,
		"flow Docs":                `failed at node "write"`,
		"flow Docs/write":          cause,
		"flow Build":               `contract is stopping: work flow "Docs" v1 (work_flows[1]) failed`,
		"flow Build/compile":       "flow is being cancelled",
		"contract Legal clearance": `contract is stopping: work flow "Docs" v1 (work_flows[1]) failed`,
		"flow Legal":               "contract is being cancelled",
		"flow Legal/review":        "flow is being cancelled",
	}
	got := map[string]string{}
	var walk func(r *Report)
	walk = func(r *Report) {
		key := string(r.Kind) + " " + r.Name
		got[key] = r.Reason
		for _, b := range r.Blocks {
			got[key+"/"+b.Alias] = b.Reason
		}
		for _, f := range r.Flows {
			walk(f)
		}
		for _, k := range r.SubContracts {
			walk(k)
		}
	}
	walk(r)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: reason %q, want %q", k, got[k], w)
		}
	}
	for k, reason := range got {
		if strings.Count(reason, "stopping") > 1 || strings.Contains(reason, "\n") {
			t.Errorf("%s: reason %q nests or spans lines", k, reason)
		}
	}
}
