package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/eventlabel"
	"github.com/openoma/openoma/host/graph"
)

// pageData is what every template sees.
type pageData struct {
	Title string
	Error string
}

type listData struct {
	Title  string
	Error  string
	Query  url.Values
	States []string
	Runs   []Run
}

// executionData is one execution's page.
type executionData struct {
	Title string
	Error string
	Top   *engine.Report
	// Flows: the top flow, or a contract's flows (work, sub-contracts',
	// tests and assessments), each drawn.
	Flows       []flowView
	Assessments []engine.AssessmentReport
	Events      []eventRow
	EventsShown int
	EventsTotal int
}

// flowView is one flow execution: its graph and its block executions.
type flowView struct {
	Report *engine.Report
	Label  string // where it sits in a contract: "work flow", "test flow", …
	SVG    template.HTML
	// NoGraph says why there is no drawing.
	NoGraph string
	Blocks  []blockRow
}

type blockRow struct {
	engine.BlockReport
	Iteration int
	Index     *int
}

type eventRow struct {
	execution.Event
	Label   string
	Payload string
}

// executionData builds the page of one execution: rep, and the first
// events of its tree (of total).
func (s *Server) executionData(ctx context.Context, rep *engine.Report, events []execution.Event, total int) (executionData, error) {
	d := executionData{Title: fmt.Sprintf("%s %s v%d", rep.Kind, rep.Name, rep.Version), Top: rep,
		EventsShown: len(events), EventsTotal: total, Assessments: rep.Assessments}
	created := map[uuid.UUID]execution.Created{}
	labels := eventlabel.New(s.catalog)
	for _, ev := range events {
		if ev.EventType == execution.EventCreated {
			var c execution.Created
			if json.Unmarshal(ev.Payload, &c) == nil {
				created[ev.ExecutionID] = c
			}
		}
		d.Events = append(d.Events, eventRow{Event: ev, Label: labels.Label(ev), Payload: shortPayload(ev.Payload)})
	}
	for _, fr := range flowsOf(rep) {
		v, err := s.flowView(ctx, fr.report, fr.label, created)
		if err != nil {
			return d, err
		}
		d.Flows = append(d.Flows, v)
	}
	return d, nil
}

type labelledReport struct {
	report *engine.Report
	label  string
}

// flowsOf lists the flow executions of a report, depth first: the flow
// itself, or a contract's work flows, its sub-contracts' flows, then each
// assessment's test flows and assessment flow.
func flowsOf(r *engine.Report) []labelledReport {
	if r.Kind == execution.KindFlow {
		return []labelledReport{{r, "flow"}}
	}
	var out []labelledReport
	for _, f := range r.Flows {
		out = append(out, labelledReport{f, "work flow"})
	}
	for _, k := range r.SubContracts {
		for _, f := range flowsOf(k) {
			out = append(out, labelledReport{f.report, fmt.Sprintf("%s of sub-contract %q", f.label, k.Name)})
		}
	}
	for _, a := range r.Assessments {
		for _, f := range a.TestFlows {
			out = append(out, labelledReport{f, fmt.Sprintf("test flow of %q", a.Outcome)})
		}
		if a.AssessmentFlow != nil {
			out = append(out, labelledReport{a.AssessmentFlow, fmt.Sprintf("assessment flow of %q", a.Outcome)})
		}
	}
	return out
}

func (s *Server) flowView(ctx context.Context, r *engine.Report, label string, created map[uuid.UUID]execution.Created) (flowView, error) {
	v := flowView{Report: r, Label: label}
	for _, b := range r.Blocks {
		row := blockRow{BlockReport: b, Iteration: 1}
		if c, ok := created[b.ExecutionID]; ok {
			row.Iteration, row.Index = max(c.Iteration, 1), c.Index
		}
		v.Blocks = append(v.Blocks, row)
	}
	f, err := s.catalog.LookupFlow(fmt.Sprintf("%s@%d", r.Name, r.Version))
	if err != nil {
		// The definition is no longer loaded: show the table without a graph.
		return v, nil
	}
	g := graph.Build(f, func(id uuid.UUID, version int) *core.WorkBlock {
		b, _ := s.catalog.WorkBlock(id, version)
		return b
	})
	g.Decorate(nodeStatuses(v.Blocks))
	if s.render == nil {
		v.NoGraph = s.renderErr.Error()
		return v, nil
	}
	svg, err := s.render.SVG(ctx, g)
	if err != nil {
		return v, err
	}
	v.SVG = template.HTML(svg) // Graphviz escapes every label it writes
	return v, nil
}

// nodeStatuses sums up each node's block executions: the latest
// iteration's state, attempts and time, and for a for_each node its items.
func nodeStatuses(blocks []blockRow) map[uuid.UUID]graph.NodeStatus {
	byNode := map[uuid.UUID][]blockRow{}
	for _, b := range blocks {
		byNode[b.NodeID] = append(byNode[b.NodeID], b)
	}
	out := map[uuid.UUID]graph.NodeStatus{}
	for node, rows := range byNode {
		last := 0
		for _, b := range rows {
			last = max(last, b.Iteration)
		}
		// The latest attempt of each item (one "item" for plain nodes).
		latest := map[int]blockRow{}
		var first, end time.Time
		forEach := false
		for _, b := range rows {
			if b.Iteration != last {
				continue
			}
			item := -1
			if b.Index != nil {
				item, forEach = *b.Index, true
			}
			if cur, ok := latest[item]; !ok || b.Attempt > cur.Attempt {
				latest[item] = b
			}
			start := b.CreatedAt
			if b.StartedAt != nil {
				start = *b.StartedAt
			}
			if first.IsZero() || start.Before(first) {
				first = start
			}
			if b.EndedAt != nil && b.EndedAt.After(end) {
				end = *b.EndedAt
			}
		}
		st := graph.NodeStatus{Iterations: last}
		states := map[execution.State]int{}
		for _, b := range latest {
			states[b.State]++
			st.Attempts = max(st.Attempts, b.Attempt)
			if b.Reason != "" && (b.State == execution.StateFailed || st.Reason == "") {
				st.Reason = b.Reason
			}
		}
		if forEach {
			st.Items, st.ItemsDone = len(latest), states[execution.StateCompleted]
		}
		st.State = summaryState(states, len(latest))
		if !end.IsZero() && st.State.IsTerminal() {
			st.Duration = end.Sub(first)
		}
		out[node] = st
	}
	return out
}

// summaryState is a node's state from its items' latest attempts: failed
// if any failed, running while any runs, completed when all completed.
func summaryState(states map[execution.State]int, n int) execution.State {
	for _, s := range []execution.State{execution.StateFailed, execution.StateCancelled, execution.StateInProgress, execution.StatePending} {
		if states[s] > 0 {
			return s
		}
	}
	if states[execution.StateCompleted] == n {
		return execution.StateCompleted
	}
	if states[execution.StateSkipped] > 0 {
		return execution.StateSkipped
	}
	return execution.StateCompleted
}

// shortPayload is a payload as one line of at most 240 characters.
func shortPayload(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	if r := []rune(s); len(r) > 240 {
		s = string(r[:237]) + "…"
	}
	return s
}

// legend is the colour key shown under every graph.
func legend() []legendItem {
	states := []execution.State{execution.StateCompleted, execution.StateInProgress, execution.StatePending,
		execution.StateFailed, execution.StateCancelled, execution.StateSkipped, ""}
	items := make([]legendItem, 0, len(states))
	for _, s := range states {
		name := string(s)
		if s == "" {
			name = "not reached"
		}
		items = append(items, legendItem{Name: name, Class: stateClass(s)})
	}
	return items
}

type legendItem struct{ Name, Class string }
