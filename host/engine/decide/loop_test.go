package decide

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// reviewLoop is implement → review; review → implement while changes are
// requested; review → ship once approved.
func reviewLoop(implMeta map[string]any) func(f *flowDef) {
	return func(f *flowDef) {
		impl := f.node("implement", []string{"ticket", "?feedback"}, []string{"code"}, implMeta)
		review := f.node("review", []string{"code"}, []string{"verdict", "feedback", "code"})
		ship := f.node("ship", []string{"code"}, []string{"url"})
		f.edge(uuid.Nil, impl, nil)
		f.edge(impl, review, nil)
		f.edge(review, impl, cel(`outputs.verdict == "changes_requested"`))
		f.edge(review, ship, cel(`outputs.verdict == "approved"`))
	}
}

// reviewer approves at the given review round (never when 0).
func reviewer(approveAt int) behaviour {
	return echo(func(alias string, b *Block) map[string]any {
		switch alias {
		case "implement":
			return map[string]any{"code": fmt.Sprintf("%v v%d", b.Inputs["ticket"], b.Iteration)}
		case "review":
			verdict := "changes_requested"
			if b.Iteration == approveAt {
				verdict = "approved"
			}
			return map[string]any{"verdict": verdict, "feedback": fmt.Sprintf("fix %d", b.Iteration), "code": b.Inputs["code"]}
		}
		return map[string]any{"url": "shipped " + b.Inputs["code"].(string)}
	})
}

func loopScenarios() []scenario {
	return []scenario{
		{
			name:    "review loop: changes requested twice, then approved and shipped",
			build:   reviewLoop(nil),
			inputs:  map[string]any{"ticket": "T-7"},
			behave:  reviewer(3),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"ship": {"url": "shipped T-7 v3"}},
			runs:    map[string][]string{"implement": ok(3), "review": ok(3), "ship": ok(1)},
			check: func(t *testing.T, s *sim) {
				impl := s.v.Slots[0]
				// The run input still reaches the node in later rounds, with
				// the review's feedback beside it.
				if got := impl[1].Inputs; got["ticket"] != "T-7" || got["feedback"] != "fix 1" {
					t.Errorf("implement iteration 2 inputs = %v", got)
				}
				if want := []uuid.UUID{s.v.Slots[1][1].ID}; !reflect.DeepEqual(impl[2].TriggeredBy, want) {
					t.Errorf("implement iteration 3 triggered_by = %v, want review iteration 2 %v", impl[2].TriggeredBy, want)
				}
				if impl[0].ID != BlockExecutionID(s.v.ID, s.p.Flow.Nodes[0].ID, 1, -1, 1) {
					t.Error("iteration 1 does not keep the id of a run without loops")
				}
			},
		},
		{
			name:   "review loop approved at once runs each node once",
			build:  reviewLoop(nil),
			inputs: map[string]any{"ticket": "T-1"},
			behave: reviewer(1),
			state:  execution.StateCompleted,
			runs:   map[string][]string{"implement": ok(1), "review": ok(1), "ship": ok(1)},
		},
		{
			name:   "node max_iterations bounds the loop with a failure naming the limit",
			build:  reviewLoop(map[string]any{"max_iterations": 3}),
			inputs: map[string]any{"ticket": "T-2"},
			behave: reviewer(0),
			state:  execution.StateFailed,
			reason: `node "implement": iteration limit 3 reached`,
			runs:   map[string][]string{"implement": append(ok(3), "4=failed"), "review": ok(3)},
			check: func(t *testing.T, s *sim) {
				if code := latest(s, "implement").Failure.Code; code != CodeIterationLimit {
					t.Errorf("code %q", code)
				}
			},
		},
		{
			name: "flow max_iterations is the default for its nodes",
			build: func(f *flowDef) {
				f.flow.Metadata["max_iterations"] = 2
				reviewLoop(nil)(f)
			},
			inputs: map[string]any{"ticket": "T-3"},
			behave: reviewer(0),
			state:  execution.StateFailed,
			reason: "iteration limit 2",
			runs:   map[string][]string{"implement": append(ok(2), "3=failed"), "review": ok(2)},
		},
		{
			name:   "without max_iterations a loop stops at 25",
			build:  reviewLoop(nil),
			inputs: map[string]any{"ticket": "T-4"},
			behave: reviewer(0),
			state:  execution.StateFailed,
			reason: "iteration limit 25",
			runs:   map[string][]string{"implement": append(ok(25), "26=failed"), "review": ok(25)},
		},
		{
			name: "two parallel reviewers joined in each round",
			build: func(f *flowDef) {
				impl := f.node("implement", []string{"?notes"}, []string{"code"})
				a := f.node("security", []string{"code"}, []string{"a"})
				a2 := f.node("security_signoff", []string{"a"}, []string{"a"})
				b := f.node("style", []string{"code"}, []string{"b"})
				gate := f.node("gate", []string{"a", "b"}, []string{"verdict", "notes"})
				ship := f.node("ship", nil, []string{"done"})
				f.edge(uuid.Nil, impl, nil)
				f.edge(impl, a, nil)
				f.edge(a, a2, nil)
				f.edge(impl, b, nil)
				f.edge(a2, gate, nil)
				f.edge(b, gate, nil)
				f.edge(gate, impl, cel(`outputs.verdict != "approved"`))
				f.edge(gate, ship, cel(`outputs.verdict == "approved"`))
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				switch alias {
				case "implement":
					return map[string]any{"code": b.Iteration}
				case "security", "security_signoff":
					return map[string]any{"a": fmt.Sprint("sec ", b.Inputs["code"], b.Inputs["a"])}
				case "style":
					return map[string]any{"b": fmt.Sprint("style ", b.Inputs["code"])}
				case "gate":
					verdict := "changes_requested"
					if b.Iteration == 3 {
						verdict = "approved"
					}
					return map[string]any{"verdict": verdict, "notes": fmt.Sprint(b.Inputs["a"], "/", b.Inputs["b"])}
				}
				return map[string]any{"done": true}
			}),
			state: execution.StateCompleted,
			runs: map[string][]string{"implement": ok(3), "security": ok(3), "security_signoff": ok(3),
				"style": ok(3), "gate": ok(3), "ship": ok(1)},
			check: func(t *testing.T, s *sim) {
				gate := s.v.Slots[4]
				for k, g := range gate {
					want := []uuid.UUID{s.v.Slots[2][k].ID, s.v.Slots[3][k].ID}
					if !reflect.DeepEqual(g.TriggeredBy, want) {
						t.Errorf("gate iteration %d triggered_by = %v, want both reviewers of round %d", k+1, g.TriggeredBy, k+1)
					}
					if a, _ := g.Inputs["a"].(string); !strings.Contains(a, fmt.Sprint("sec ", k+1)) {
						t.Errorf("gate iteration %d saw security review %q, want round %d's", k+1, a, k+1)
					}
					if g.Inputs["b"] != fmt.Sprint("style ", k+1) {
						t.Errorf("gate iteration %d saw style review %v, want round %d's", k+1, g.Inputs["b"], k+1)
					}
				}
				if s.peak["gate"] > 1 {
					t.Errorf("%d gate runs open at once", s.peak["gate"])
				}
			},
		},
		{
			name: "nested loop: an inner review loop inside an outer planning loop",
			build: func(f *flowDef) {
				plan := f.node("plan", nil, []string{"round"})
				impl := f.node("implement", []string{"?round"}, []string{"code"})
				review := f.node("review", []string{"code"}, []string{"verdict"})
				check := f.node("check", nil, []string{"again"})
				done := f.node("done", nil, []string{"ok"})
				f.edge(uuid.Nil, plan, nil)
				f.edge(plan, impl, nil)
				f.edge(impl, review, nil)
				f.edge(review, impl, cel(`outputs.verdict == "changes_requested"`))
				f.edge(review, check, cel(`outputs.verdict == "approved"`))
				f.edge(check, plan, cel(`outputs.again`))
				f.edge(check, done, cel(`!outputs.again`))
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				switch alias {
				case "plan":
					return map[string]any{"round": b.Iteration}
				case "implement":
					return map[string]any{"code": b.Iteration}
				case "review":
					verdict := "changes_requested"
					if b.Iteration%2 == 0 {
						verdict = "approved"
					}
					return map[string]any{"verdict": verdict}
				case "check":
					return map[string]any{"again": b.Iteration < 2}
				}
				return map[string]any{"ok": true}
			}),
			state: execution.StateCompleted,
			runs: map[string][]string{"plan": ok(2), "implement": ok(4), "review": ok(4),
				"check": ok(2), "done": ok(1)},
			check: func(t *testing.T, s *sim) {
				impl := s.v.Slots[1]
				if impl[2].Inputs["round"] != 2 {
					t.Errorf("implement iteration 3 round %v, want the second plan's", impl[2].Inputs["round"])
				}
			},
		},
		{
			name: "dead path inside a loop body is skipped in that round only",
			build: func(f *flowDef) {
				impl := f.node("implement", nil, []string{"code", "lint"})
				lint := f.node("lint", nil, []string{"lint_ok"})
				review := f.node("review", nil, []string{"verdict"})
				ship := f.node("ship", nil, nil)
				f.edge(uuid.Nil, impl, nil)
				f.edge(impl, lint, cel("outputs.lint"))
				f.edge(impl, review, nil)
				f.edge(lint, review, nil)
				f.edge(review, impl, cel(`outputs.verdict == "again"`))
				f.edge(review, ship, cel(`outputs.verdict == "ok"`))
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				switch alias {
				case "implement":
					return map[string]any{"code": 1, "lint": b.Iteration != 2}
				case "review":
					if b.Iteration < 3 {
						return map[string]any{"verdict": "again"}
					}
					return map[string]any{"verdict": "ok"}
				}
				return nil
			}),
			state: execution.StateCompleted,
			runs: map[string][]string{"implement": ok(3), "lint": {"1=completed", "2=skipped", "3=completed"},
				"review": ok(3), "ship": ok(1)},
		},
		{
			name: "a node looping on itself",
			build: func(f *flowDef) {
				count := f.node("count", []string{"?n"}, []string{"n"})
				report := f.node("report", []string{"n"}, []string{"n"})
				f.edge(uuid.Nil, count, nil)
				f.edge(count, count, cel("outputs.n < 3"))
				f.edge(count, report, cel("outputs.n >= 3"))
			},
			behave: echo(func(alias string, b *Block) map[string]any {
				n, _ := b.Inputs["n"].(int)
				if alias == "count" {
					return map[string]any{"n": n + 1}
				}
				return map[string]any{"n": n}
			}),
			state:   execution.StateCompleted,
			outputs: map[string]map[string]any{"report": {"n": 3}},
			runs:    map[string][]string{"count": ok(3), "report": ok(1)},
		},
	}
}

func TestPlanFindsBackEdges(t *testing.T) {
	f := newDef(t, "back")
	a := f.node("a", nil, nil)
	b := f.node("b", nil, nil)
	c := f.node("c", nil, nil)
	f.edge(uuid.Nil, a, nil)
	f.edge(a, b, nil)
	f.edge(b, c, nil)
	f.edge(c, b, nil) // closes b → c → b
	f.edge(c, a, nil) // closes a → b → c → a
	p := f.plan()
	if want := []bool{false, false, false, true, true}; !reflect.DeepEqual(p.Back, want) || !p.Cyclic {
		t.Errorf("back edges = %v (cyclic %v), want %v", p.Back, p.Cyclic, want)
	}
	if want := []int{0, 1, 2}; !reflect.DeepEqual(p.Order, want) {
		t.Errorf("order = %v, want %v", p.Order, want)
	}
}
