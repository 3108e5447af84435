package decide

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// perTicket is split → work (for_each over split's tickets) → summary.
func perTicket(forEach map[string]any, workMeta ...map[string]any) func(f *flowDef) {
	return func(f *flowDef) {
		meta := map[string]any{"for_each": forEach}
		for _, m := range workMeta {
			for k, v := range m {
				meta[k] = v
			}
		}
		split := f.node("split", []string{"n"}, []string{"tickets"})
		work := f.node("work", []string{"ticket", "prefix"}, []string{"result"}, meta)
		summary := f.node("summary", []string{"result"}, []string{"all"})
		f.edge(uuid.Nil, split, nil)
		f.edge(split, work, nil)
		f.edge(split, work, nil, "tickets", "prefix") // any other input is wired as usual
		f.edge(work, summary, nil)
	}
}

func tickets(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("T-%d", i)
	}
	return out
}

func ticketWork(fail func(b *Block) string) behaviour {
	return func(alias string, b *Block) outcome {
		switch alias {
		case "split":
			return outcome{outputs: map[string]any{"tickets": tickets(b.Inputs["n"].(int))}}
		case "work":
			if fail != nil {
				if reason := fail(b); reason == "hang" {
					return outcome{hang: true}
				} else if reason != "" {
					return outcome{fail: reason}
				}
			}
			return outcome{outputs: map[string]any{"result": "done " + b.Inputs["ticket"].(string)}}
		}
		return outcome{outputs: map[string]any{"all": b.Inputs["result"]}}
	}
}

func items(iteration, n int, state string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%d[%d]=%s", iteration, i, state)
	}
	return out
}

func forEachScenarios() []scenario {
	all := map[string]any{"items": "outputs.tickets", "as": "ticket"}
	return []scenario{
		{
			name:    "for_each runs one block per item; outputs are lists in item order",
			build:   perTicket(all),
			inputs:  map[string]any{"n": 3},
			behave:  ticketWork(nil),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"summary": {"all": []any{"done T-0", "done T-1", "done T-2"}}},
			runs:    map[string][]string{"split": ok(1), "work": items(1, 3, "completed"), "summary": ok(1)},
			check: func(t *testing.T, s *sim) {
				w := s.v.Slots[1][1]
				if w.Inputs["ticket"] != "T-1" || len(w.Inputs["prefix"].([]any)) != 3 {
					t.Errorf("item 1 inputs = %v, want its ticket bound to \"ticket\" and the other inputs as mapped", w.Inputs)
				}
				if s.peak["work"] != 3 {
					t.Errorf("peak %d items at once, want all 3 (no max_concurrency)", s.peak["work"])
				}
			},
		},
		{
			name:   "max_concurrency bounds the items in flight",
			build:  perTicket(map[string]any{"items": "outputs.tickets", "as": "ticket", "max_concurrency": 2}),
			inputs: map[string]any{"n": 7},
			behave: ticketWork(nil),
			state:  execution.StateCompleted,
			runs:   map[string][]string{"split": ok(1), "work": items(1, 7, "completed"), "summary": ok(1)},
			check: func(t *testing.T, s *sim) {
				if s.peak["work"] != 2 {
					t.Errorf("peak %d items in flight, want exactly max_concurrency 2", s.peak["work"])
				}
			},
		},
		{
			name:    "an empty list completes the node with empty lists",
			build:   perTicket(all),
			inputs:  map[string]any{"n": 0},
			behave:  ticketWork(nil),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"summary": {"all": []any{}}},
			runs:    map[string][]string{"split": ok(1), "work": ok(1), "summary": ok(1)},
		},
		{
			name:   "one failing item fails the node and cancels the rest",
			build:  perTicket(all),
			inputs: map[string]any{"n": 4},
			behave: ticketWork(func(b *Block) string {
				if b.Index == 1 {
					return "ticket is malformed"
				}
				return "hang"
			}),
			state:  execution.StateFailed,
			reason: `ticket is malformed`,
			runs:   map[string][]string{"split": ok(1), "work": {"1[0]=cancelled", "1[1]=failed", "1[2]=cancelled", "1[3]=cancelled"}},
		},
		{
			name:   "a failing item is retried on its own",
			build:  perTicket(all, map[string]any{"retry": map[string]any{"max_attempts": 2, "backoff": "1s"}}),
			inputs: map[string]any{"n": 3},
			behave: ticketWork(func(b *Block) string {
				if b.Index == 2 && b.Attempt == 1 {
					return "flaky"
				}
				return ""
			}),
			state: execution.StateCompleted,
			runs:  map[string][]string{"split": ok(1), "work": {"1[0]=completed", "1[1]=completed", "1[2]=failed", "1[2]#2=completed"}, "summary": ok(1)},
		},
		{
			name:   "more than 10,000 items is an error naming the limit",
			build:  perTicket(all),
			inputs: map[string]any{"n": 10001},
			behave: ticketWork(nil),
			state:  execution.StateFailed,
			reason: `node "work": for_each.items gave 10001 items; at most 10000 are allowed`,
			runs:   map[string][]string{"split": ok(1), "work": {"1=failed"}},
		},
		{
			name:   "items that are not a list fail the node",
			build:  perTicket(map[string]any{"items": "outputs.tickets[0]", "as": "ticket"}),
			inputs: map[string]any{"n": 2},
			behave: ticketWork(nil),
			state:  execution.StateFailed,
			reason: `node "work": for_each.items: expression is not a list`,
			runs:   map[string][]string{"split": ok(1), "work": {"1=failed"}},
		},
		{
			name: "for_each inside a loop runs its items again each round",
			build: func(f *flowDef) {
				impl := f.node("implement", []string{"ticket"}, []string{"code"},
					map[string]any{"for_each": map[string]any{"items": "inputs.tickets", "as": "ticket"}})
				review := f.node("review", []string{"code"}, []string{"verdict"})
				f.edge(uuid.Nil, impl, nil)
				f.edge(impl, review, nil)
				f.edge(review, impl, cel(`outputs.verdict == "again"`))
			},
			inputs: map[string]any{"tickets": []any{"A", "B"}},
			behave: echo(func(alias string, b *Block) map[string]any {
				if alias == "implement" {
					return map[string]any{"code": fmt.Sprint(b.Inputs["ticket"], b.Iteration)}
				}
				if strings.Contains(fmt.Sprint(b.Inputs["code"]), "2") {
					return map[string]any{"verdict": "ok"}
				}
				return map[string]any{"verdict": "again"}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{}, // review loops back: the flow has no terminal node
			runs:    map[string][]string{"implement": append(items(1, 2, "completed"), items(2, 2, "completed")...), "review": ok(2)},
			check: func(t *testing.T, s *sim) {
				if got := s.v.Slots[1][1].Inputs["code"]; fmt.Sprint(got) != "[A2 B2]" {
					t.Errorf("review iteration 2 got %v, want the latest iteration's list", got)
				}
			},
		},
	}
}
