package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
)

const defs = `
kind: work_block
name: Work <b>
version: 1
inputs: [{name: ticket, description: t, required: false}]
outputs: [{name: verdict, description: v}]
execution_hints: [shell]
---
kind: flow
name: Review Loop
version: 1
nodes:
  - {alias: implement, block: "Work <b>@1", metadata: {for_each: {items: "inputs.tickets", as: ticket}}}
  - {alias: review, block: "Work <b>@1"}
  - {alias: ship, block: "Work <b>@1"}
edges:
  - {to: implement}
  - {from: implement, to: review}
  - from: review
    to: implement
    condition: {description: changes requested, predicate: {cel: 'outputs.verdict == "changes_requested"'}}
  - from: review
    to: ship
    condition: {description: approved, predicate: {cel: 'outputs.verdict == "approved"'}}
`

// source is a Source over reports and events held in memory, built from
// real definitions: what the host serves, without a daemon.
type source struct {
	runs    []Run
	reports map[uuid.UUID]*engine.Report
	events  map[uuid.UUID][]execution.Event
	asked   Query
}

func (s *source) Recent(_ context.Context, q Query) ([]Run, error) {
	s.asked = q
	if q.Name == "Nope" {
		return nil, fmt.Errorf(`no flow or contract "Nope": %w`, ErrNotFound)
	}
	return s.runs, nil
}

func (s *source) Report(_ context.Context, id uuid.UUID) (*engine.Report, error) {
	r, ok := s.reports[id]
	if !ok {
		return nil, fmt.Errorf("execution %s: %w", id, ErrNotFound)
	}
	return r, nil
}

func (s *source) Events(_ context.Context, id uuid.UUID, send func(execution.Event) error) error {
	for _, ev := range s.events[id] {
		if err := send(ev); err != nil {
			return err
		}
	}
	return nil
}

func (s *source) ResolveID(_ context.Context, text string) (uuid.UUID, error) {
	for id := range s.reports {
		if strings.HasPrefix(id.String(), text) && len(text) >= 4 {
			return id, nil
		}
	}
	return uuid.Nil, fmt.Errorf("no execution %s: %w", text, ErrNotFound)
}

// loopRun is a run of the review loop: implement ran twice (two items the
// second time, one of them retried), review twice, ship is running.
func loopRun(t *testing.T, cat *core.Catalog) (*source, uuid.UUID) {
	t.Helper()
	f, err := cat.LookupFlow("Review Loop")
	if err != nil {
		t.Fatal(err)
	}
	flowID := uuid.New()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rep := &engine.Report{ExecutionID: flowID, Kind: execution.KindFlow, Name: "Review Loop", Version: 1,
		State: execution.StateInProgress, CreatedAt: t0}
	events := []execution.Event{mustEvent(t, flowID, execution.EventCreated, execution.Created{Kind: execution.KindFlow, FlowID: f.ID, FlowVersion: 1}, t0)}
	pos := uint64(1)
	events[0].Position = pos
	add := func(node int, iteration int, index *int, attempt int, state execution.State, took time.Duration) {
		id := uuid.New()
		start := t0.Add(time.Duration(len(rep.Blocks)) * time.Second)
		b := engine.BlockReport{ExecutionID: id, NodeID: f.Nodes[node].ID, Alias: f.Nodes[node].Alias, Block: "Work <b>",
			BlockVersion: 1, State: state, Attempt: attempt, CreatedAt: start, StartedAt: &start}
		if state.IsTerminal() {
			end := start.Add(took)
			b.EndedAt = &end
		}
		rep.Blocks = append(rep.Blocks, b)
		ev := mustEvent(t, id, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flowID,
			NodeReferenceID: f.Nodes[node].ID, WorkBlockID: f.Nodes[node].TargetID, WorkBlockVersion: 1,
			Attempt: attempt, Iteration: iteration, Index: index}, start)
		pos++
		ev.Position = pos
		events = append(events, ev)
	}
	zero, one := 0, 1
	add(0, 1, &zero, 1, execution.StateCompleted, time.Second)
	add(1, 1, nil, 1, execution.StateCompleted, time.Second)
	add(0, 2, &zero, 1, execution.StateCompleted, time.Second)
	add(0, 2, &one, 1, execution.StateFailed, time.Second)
	add(0, 2, &one, 2, execution.StateCompleted, 2*time.Second)
	add(1, 2, nil, 1, execution.StateCompleted, time.Second)
	add(2, 1, nil, 1, execution.StateInProgress, 0)
	return &source{
		runs:    []Run{{ID: flowID, Kind: execution.KindFlow, Name: "Review Loop", Version: 1, State: execution.StateInProgress, CreatedAt: t0}},
		reports: map[uuid.UUID]*engine.Report{flowID: rep},
		events:  map[uuid.UUID][]execution.Event{flowID: events},
	}, flowID
}

func mustEvent(t *testing.T, id uuid.UUID, typ execution.EventType, payload any, at time.Time) execution.Event {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return execution.Event{ID: uuid.New(), ExecutionID: id, EventType: typ, Payload: raw, Timestamp: at}
}

func newTestConsole(t *testing.T) (*Server, *source, uuid.UUID) {
	t.Helper()
	cat, err := core.LoadFiles(core.File{Name: "loop.yaml", Data: []byte(defs)})
	if err != nil {
		t.Fatal(err)
	}
	src, id := loopRun(t, cat)
	s, err := New(context.Background(), Options{Source: src, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, src, id
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestExecutionPage(t *testing.T) {
	s, _, id := newTestConsole(t)
	code, body := get(t, s, "/executions/"+id.String()[:8])
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	for _, want := range []string{
		`<span class="badge st-in_progress" id="state">in_progress</span>`,
		"<svg",
		`fill="#2e7d32"`,   // implement and review: completed
		`fill="#1565c0"`,   // ship: in progress
		"iteration 2",      // implement ran twice
		"items 2/2 done",   // its second iteration: two items, one retried
		"Work &lt;b&gt;@1", // names are escaped in the drawing
		"↺ loop",
		`<td>implement</td><td>Work &lt;b&gt;@1</td><td>2</td><td>1</td><td>2</td>`, // iteration 2, item 1, attempt 2
		`implement (Work &lt;b&gt;)`, // event log names the node
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>") {
		t.Error("a block name reached the page unescaped")
	}
}

func TestListPage(t *testing.T) {
	s, src, id := newTestConsole(t)
	code, body := get(t, s, "/executions?state=failed&flow=Review+Loop&since=7d&limit=5")
	if code != http.StatusOK || !strings.Contains(body, id.String()[:8]) {
		t.Fatalf("status %d, body lacks the run:\n%s", code, body)
	}
	if src.asked.State != execution.StateFailed || src.asked.Name != "Review Loop" || src.asked.Limit != 5 ||
		time.Since(src.asked.Since) < 7*24*time.Hour-time.Minute {
		t.Errorf("filter reached the source as %+v", src.asked)
	}
	if !strings.Contains(body, `<option value="failed" selected>`) {
		t.Error("the form does not keep the chosen state")
	}
	for _, tt := range []struct{ query, says string }{
		{"state=done", `unknown state &#34;done&#34;`},
		{"since=yesterday", "want a duration"},
		{"limit=0", "want 1 to 1000"},
	} {
		code, body := get(t, s, "/executions?"+tt.query)
		if code != http.StatusBadRequest || !strings.Contains(body, tt.says) {
			t.Errorf("%s: status %d, want 400 saying %q", tt.query, code, tt.says)
		}
	}
	if code, body := get(t, s, "/executions?flow=Nope"); code != http.StatusBadRequest || !strings.Contains(body, "Nope") {
		t.Errorf("unknown flow: status %d", code)
	}
}

func TestUnknownExecution(t *testing.T) {
	s, _, _ := newTestConsole(t)
	if code, _ := get(t, s, "/executions/ffffffff"); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
}

// The stylesheet's state colours are the graph's, so legend, badges and
// nodes agree.
func TestStylesheet(t *testing.T) {
	s, _, _ := newTestConsole(t)
	_, css := get(t, s, "/console.css")
	for _, want := range []string{".st-completed{background:#2e7d32", ".st-failed{background:#c62828", ".st-not_reached{background:#ffffff"} {
		if !strings.Contains(css, want) {
			t.Errorf("stylesheet lacks %q", want)
		}
	}
}

// Without the layout program the pages still work, and say why there is
// no drawing.
func TestWithoutLayoutProgram(t *testing.T) {
	t.Setenv("OPENOMA_GRAPHVIZ", filepath.Join(t.TempDir(), "missing"))
	s, _, id := newTestConsole(t)
	code, body := get(t, s, "/executions/"+id.String())
	if code != http.StatusOK || strings.Contains(body, "<svg") || !strings.Contains(body, "No drawing: OPENOMA_GRAPHVIZ=") {
		t.Errorf("status %d; want the page without a drawing, saying why", code)
	}
}
