package host

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
)

// Only a settled execution's report is kept, and what is served from the
// cache is what Report says.
func TestReportJSONKeepsOnlySettledReports(t *testing.T) {
	h := openTestHost(t)
	ctx := context.Background()
	open, ended := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{open, ended} {
		appendEv(t, h.store, id, execution.EventCreated, execution.Created{Kind: execution.KindFlow, FlowID: uuid.New(), FlowVersion: 1})
	}
	appendEv(t, h.store, ended, execution.EventCompleted, nil)

	raw, done, err := h.ReportJSON(ctx, open)
	if err != nil || done {
		t.Fatalf("ReportJSON(open) done=%v err=%v", done, err)
	}
	if _, ok := h.reports.get(open); ok {
		t.Fatal("an open execution's report was cached")
	}
	var r engine.Report
	if err := json.Unmarshal(raw, &r); err != nil || r.ExecutionID != open {
		t.Fatalf("report of the open flow: %s (%v)", raw, err)
	}

	first, done, err := h.ReportJSON(ctx, ended)
	if err != nil || !done {
		t.Fatalf("ReportJSON(ended) done=%v err=%v", done, err)
	}
	if cached, ok := h.reports.get(ended); !ok || !bytes.Equal(cached, first) {
		t.Fatal("an ended execution's report was not cached")
	}
	rep, _, err := h.Report(ctx, ended)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(rep)
	again, done, err := h.ReportJSON(ctx, ended)
	if err != nil || !done || !sameJSON(again, want) {
		t.Fatalf("cached report = %s, done=%v, %v; Report says %s", again, done, err, want)
	}
}

func TestSettled(t *testing.T) {
	running := &engine.Report{State: execution.StateFailed, Blocks: []engine.BlockReport{
		{State: execution.StateFailed}, {State: execution.StateInProgress}}}
	if settled(running) {
		t.Error("a failed flow with a block still running counts as settled")
	}
	contract := &engine.Report{State: execution.StateCompleted, Flows: []*engine.Report{{State: execution.StateCompleted}},
		Assessments: []engine.AssessmentReport{{State: execution.StatePending}}}
	if settled(contract) {
		t.Error("a contract whose assessment is pending counts as settled")
	}
	contract.Assessments[0].State = execution.StateCompleted
	if !settled(contract) {
		t.Error("a contract whose work and assessments ended does not count as settled")
	}
}

func TestReportCacheEvictsOldestFirst(t *testing.T) {
	var c reportCache
	big := make(json.RawMessage, reportCacheBytes/5)
	ids := make([]uuid.UUID, 6)
	for i := range ids {
		ids[i] = uuid.New()
		c.put(ids[i], big)
	}
	if _, ok := c.get(ids[0]); ok {
		t.Error("the oldest report survived a full cache")
	}
	if _, ok := c.get(ids[5]); !ok {
		t.Error("the newest report was evicted")
	}
	if c.bytes > reportCacheBytes {
		t.Errorf("cache holds %d bytes, bound %d", c.bytes, reportCacheBytes)
	}
	c.put(uuid.New(), make(json.RawMessage, reportCacheBytes/2))
	if _, ok := c.get(ids[5]); !ok {
		t.Error("one oversized report emptied the cache")
	}
}

// sameJSON reports whether a and b encode the same value (fields in any
// order).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
