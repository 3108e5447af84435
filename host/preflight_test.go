package host

import (
	"errors"
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/router"
)

const preflightDefs = `
kind: work_block
name: Triage
version: 1
inputs:
  - {name: ticket_id, description: the ticket, required: true}
  - {name: note, description: optional note, required: false}
outputs:
  - {name: severity, description: how bad}
execution_hints: [shell]
---
kind: work_block
name: Fix
version: 1
inputs:
  - {name: severity, description: how bad, required: true}
  - {name: owner, description: who, required: true}
outputs:
  - {name: done, description: done}
execution_hints: [shell]
---
kind: work_block
name: Deploy
version: 1
inputs: []
outputs:
  - {name: url, description: where}
execution_hints: [kubernetes]
---
kind: work_block
name: Wait
version: 1
inputs: []
outputs: []
execution_hints: [openoma.timer]
---
kind: flow
name: Handle
version: 1
nodes:
  - {alias: triage, block: Triage@1}
  - {alias: fix, block: Fix@1}
edges:
  - {to: triage}
  - {from: triage, to: fix}
  - to: fix
    port_mappings: [{source_port: assignee, target_port: owner}]
---
kind: flow
name: Ship
version: 1
nodes:
  - {alias: deploy, block: Deploy@1}
  - {alias: wait, block: Wait@1}
edges:
  - {to: deploy}
  - {from: deploy, to: wait}
---
kind: flow
name: Maybe
version: 1
nodes:
  - {alias: triage, block: Triage@1}
edges:
  - to: triage
    condition: {description: only sometimes, predicate: {cel: "inputs.go == true"}}
---
kind: flow
name: Sprint
version: 1
nodes:
  - {alias: triage, block: Triage@1, metadata: {for_each: {items: "inputs.tickets", as: ticket_id}}}
edges:
  - {to: triage}
---
kind: contract
name: Release
version: 1
work_flows: [Handle@1, Ship@1]
`

// The checks a run passes before anything is recorded: what a person would
// otherwise see only as a failed run seconds or days later.
func TestPreflight(t *testing.T) {
	cat, err := core.LoadFiles(core.File{Name: "defs.yaml", Data: []byte(preflightDefs)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := router.New(router.Config{Plugins: []router.Plugin{{Name: "shell", Hints: []string{"shell"}}}})
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{catalog: cat, router: r}
	tests := []struct {
		name   string
		ref    string
		inputs map[string]any
		want   []string // substrings of the error; none: no error
	}{
		{name: "all supplied", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1", "assignee": "ann"}},
		{name: "optional input may be given", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1", "note": "x"}},
		{name: "required missing", ref: "Handle", inputs: map[string]any{},
			want: []string{`required input "ticket_id" not supplied`, `node "triage"`, "--input ticket_id=VALUE"}},
		{name: "input from upstream is not asked of the run", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1"}},
		{name: "unknown input with a suggestion", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1", "ticketid": 1},
			want: []string{`unknown input "ticketid"`, `did you mean "ticket_id"?`, "it takes assignee, note, ticket_id"}},
		{name: "unknown input, a prefix", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1", "ticket": 1},
			want: []string{`unknown input "ticket"`, `did you mean "ticket_id"?`}},
		{name: "unknown input, nothing close", ref: "Handle", inputs: map[string]any{"ticket_id": "T-1", "bogus": 1},
			want: []string{`unknown input "bogus"`}},
		{name: "conditional entry edge asks nothing", ref: "Maybe", inputs: map[string]any{}},
		{name: "an input only a condition reads is known", ref: "Maybe", inputs: map[string]any{"go": true, "ticket_id": "T"}},
		{name: "for_each: the list is read, the item port is not asked", ref: "Sprint", inputs: map[string]any{"tickets": []any{"a", "b"}}},
		{name: "for_each: the item port given as an input is unknown", ref: "Sprint", inputs: map[string]any{"tickets": []any{"a"}, "ticket_id": "x"},
			want: []string{`unknown input "ticket_id"`}},
		{name: "unroutable block", ref: "Ship", inputs: nil,
			want: []string{`flow "Ship" v1 node "deploy"`, "kubernetes", "no plugin serves"}},
		{name: "contract collects every work flow", ref: "Release", inputs: map[string]any{"ticket_id": "T-1"},
			want: []string{`node "deploy"`}},
		{name: "contract: required input of a work flow", ref: "Release", inputs: map[string]any{},
			want: []string{`required input "ticket_id"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if f, ferr := cat.LookupFlow(tt.ref); ferr == nil {
				err = h.preflight(f, nil, tt.inputs)
			} else {
				k, kerr := cat.LookupContract(tt.ref)
				if kerr != nil {
					t.Fatal(kerr)
				}
				err = h.preflight(nil, k, tt.inputs)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrPreflight) {
				t.Fatalf("err = %v, want ErrPreflight", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A misspelt name is answered with the closest flow or contract.
func TestSuggestRunnable(t *testing.T) {
	cat, err := core.LoadFiles(core.File{Name: "defs.yaml", Data: []byte(preflightDefs)})
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{catalog: cat}
	for ref, want := range map[string]string{
		"Relase":   ` (did you mean "Release"?)`,
		"handle@1": ` (did you mean "Handle"?)`,
		"Zzzzzzzz": "",
	} {
		if got := h.suggestRunnable(ref); got != want {
			t.Errorf("suggestRunnable(%q) = %q, want %q", ref, got, want)
		}
	}
}
