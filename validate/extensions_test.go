package validate_test

import (
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

func schema(jsonType string) map[string]any { return map[string]any{"type": jsonType} }

// TestTypedConditions: conditions are type-checked against the ports the
// edge can read — the run inputs on entry edges, the source block's
// outputs on the others — with the types their JSON schemas give.
func TestTypedConditions(t *testing.T) {
	const sprint = `flows/sprint.yaml:1: flow "Engineering Sprint Cycle" v1: `
	typed := func(fx *fixture) {
		fx.triage.Inputs[0].Schema = schema("string")
		fx.triage.Outputs[0].Schema = schema("boolean")
		fx.triage.Outputs = append(fx.triage.Outputs, core.PortDescriptor{Name: "amount", Required: true, Schema: schema("number")})
	}
	cond := func(fx *fixture, edge int, expr string) {
		fx.sprint.Edges[edge].Condition = &core.Condition{Description: "d", Predicate: map[string]any{"cel": expr}}
	}
	tests := []struct {
		name    string
		expr    string
		edge    int
		perItem bool // triage runs per item (for_each): its outputs are lists
		want    []string
	}{
		{name: "typed comparison", edge: 1, expr: "outputs.approved && outputs.amount > 100000"},
		{name: "guarded optional port", edge: 1, expr: "has(outputs.task) && outputs.task != null"},
		{name: "run input on an entry edge", edge: 0, expr: `inputs.ticket.startsWith("PROJ-")`},
		{name: "numeric equality", edge: 1, expr: "outputs.amount == 3"},
		{name: "misspelt port", edge: 1, expr: "outputs.amont > 100000", want: []string{
			sprint + `edges[1].condition.predicate: unknown port: outputs.amont: no such port (has: approved, task, amount)`}},
		{name: "no such overload", edge: 1, expr: "outputs.amount > 'lots'", want: []string{
			sprint + `edges[1].condition.predicate: condition does not compile: 1:16: found no matching overload for '_>_' applied to '(double, string)'`}},
		{name: "not a bool", edge: 1, expr: "outputs.amount", want: []string{
			sprint + `edges[1].condition.predicate: condition is not boolean: expression has type double, want bool`}},
		{name: "misspelt run input", edge: 0, expr: `inputs.tiket == "x"`, want: []string{
			sprint + `edges[0].condition.predicate: unknown port: inputs.tiket: no such port (has: ticket)`}},
		{name: "outputs of a for_each node are lists", edge: 1, perItem: true, expr: "outputs.approved.all(a, a) && size(outputs.amount) > 0"},
		{name: "a for_each node's output is not one value", edge: 1, perItem: true, expr: "outputs.approved == true", want: []string{
			sprint + `edges[1].condition.predicate: condition does not compile: 1:18: found no matching overload for '_==_' applied to '(list(bool), bool)'`}},
		{name: "source outputs on an entry edge", edge: 0, expr: `outputs.approved`, want: []string{
			sprint + `edges[0].condition.predicate: unknown port: outputs.approved: no such port (there are no source outputs here)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture()
			typed(fx)
			cond(fx, tt.edge, tt.expr)
			if tt.perItem {
				fx.sprint.Nodes[0].Metadata = core.Metadata{"for_each": map[string]any{"items": "[inputs.ticket]", "as": "ticket_id"}}
			}
			checkLines(t, errorLines(t, validate.Catalog(fx.catalog(), validate.RequireRunnable())), tt.want)
		})
	}
}

// TestExtensions breaks the fixture's metadata extensions one way at a
// time: each problem is reported with file, entity and field path.
func TestExtensions(t *testing.T) {
	const (
		sprint = `flows/sprint.yaml:1: flow "Engineering Sprint Cycle" v1: `
		impl   = `blocks.yaml:11: block "Implementation" v1: `
	)
	timerBlock := func(fx *fixture, meta core.Metadata, hints ...string) {
		fx.impl.ExecutionHints = hints
		fx.impl.Metadata = meta
	}
	tests := []struct {
		name   string
		break_ func(fx *fixture)
		want   []string
	}{
		{"valid extensions", func(fx *fixture) {
			fx.sprint.Metadata = core.Metadata{"max_iterations": 10.0}
			fx.triage.Outputs[1].Schema = schema("array")
			fx.sprint.Nodes[1].Metadata = core.Metadata{"max_iterations": 3.0, "timeout": "2h",
				"for_each": map[string]any{"items": "outputs.task", "as": "task", "max_concurrency": 4.0}}
			fx.review.Metadata = core.Metadata{"retry": map[string]any{"max_attempts": 3.0, "backoff": "1s"}}
		}, nil},
		{"bad max_iterations", func(fx *fixture) {
			fx.sprint.Metadata = core.Metadata{"max_iterations": 0.0}
			fx.sprint.Nodes[2].Metadata = core.Metadata{"max_iterations": "many"}
		}, []string{
			sprint + `metadata.max_iterations: want an integer from 1 to 1000000, got 0`,
			sprint + `nodes[2].metadata.max_iterations: want an integer from 1 to 1000000, got "many"`,
		}},
		{"for_each port and expression", func(fx *fixture) {
			fx.sprint.Nodes[1].Metadata = core.Metadata{"for_each": map[string]any{"items": "outputs.approved == true", "as": "tsk"}}
			fx.sprint.Nodes[2].Metadata = core.Metadata{"for_each": map[string]any{"items": "outputs.links", "as": "pull_request_url"}}
			fx.sprint.Nodes[3].Metadata = core.Metadata{"for_each": map[string]any{"items": "inputs.tickets[", "as": "task", "max_concurrency": 0.0}}
		}, []string{
			sprint + `nodes[1].metadata.for_each.as: "tsk" is not an input of block "Implementation" v1 (has: task); each item is bound to the input port as names`,
			sprint + `nodes[1].metadata.for_each.items: expression is not a list: expression has type bool, want a list`,
			sprint + `nodes[2].metadata.for_each.items: unknown port: outputs.links: no such port (has: pull_request_url)`,
			sprint + `nodes[3].metadata.for_each.max_concurrency: want an integer from 1 to 10000, got 0`,
		}},
		{"for_each expression that does not compile", func(fx *fixture) {
			fx.sprint.Nodes[3].Metadata = core.Metadata{"for_each": map[string]any{"items": "outputs.task.frobnicate()", "as": "task"}}
		}, []string{
			sprint + `nodes[3].metadata.for_each.items: expression does not compile: 1:24: undeclared reference to 'frobnicate'`,
		}},
		{"for_each on a block", func(fx *fixture) {
			fx.impl.Metadata = core.Metadata{"for_each": map[string]any{"items": "inputs.x", "as": "task"}}
		}, []string{
			impl + `metadata.for_each: for_each belongs in node metadata, where it takes effect; here it would be ignored`,
		}},
		{"bad durations and unknown keys", func(fx *fixture) {
			fx.impl.Metadata = core.Metadata{"timeout": "ten minutes", "retry": map[string]any{"max_attempt": 3.0}}
			fx.sprint.Nodes[2].Metadata = core.Metadata{"timeout": "-1s"}
		}, []string{
			impl + `metadata.timeout: want a duration > 0 such as "90s" or "2h30m" (units ns, us, ms, s, m, h), got "ten minutes"`,
			impl + `metadata.retry.max_attempt: unknown key "max_attempt" (known: max_attempts, backoff, multiplier, max_backoff); did you mean "max_attempts"?`,
			sprint + `nodes[2].metadata.timeout: want a duration > 0 such as "90s" or "2h30m" (units ns, us, ms, s, m, h), got "-1s"`,
		}},
		{"timer block", func(fx *fixture) {
			timerBlock(fx, core.Metadata{"timer": map[string]any{"wait": "48h"}}, core.HintTimer)
		}, nil},
		{"timer on the node", func(fx *fixture) {
			timerBlock(fx, nil, core.HintTimer)
			fx.sprint.Nodes[1].Metadata = core.Metadata{"timer": map[string]any{"until": "2026-07-01T09:00:00Z"}}
		}, []string{
			sprint + `nodes[3]: block "Implementation" v1 is an openoma.timer block, so it needs timer: {wait: "<duration>"} or {until: "<RFC 3339 time>"} in its own or this node's metadata`,
		}},
		{"bad timer time", func(fx *fixture) {
			timerBlock(fx, core.Metadata{"timer": map[string]any{"until": "tomorrow"}}, core.HintTimer)
		}, []string{
			impl + `metadata.timer.until: want an RFC 3339 time such as "2026-07-01T09:00:00Z", got "tomorrow"`,
			sprint + `nodes[1]: block "Implementation" v1 is an openoma.timer block, so it needs timer: {wait: "<duration>"} or {until: "<RFC 3339 time>"} in its own or this node's metadata`,
			sprint + `nodes[3]: block "Implementation" v1 is an openoma.timer block, so it needs timer: {wait: "<duration>"} or {until: "<RFC 3339 time>"} in its own or this node's metadata`,
		}},
		{"timer mixed with a plugin hint", func(fx *fixture) {
			timerBlock(fx, core.Metadata{"timer": map[string]any{"wait": "1h"}}, core.HintTimer, "shell")
		}, []string{
			impl + `execution_hints: "openoma.timer" is served by the host itself, so it cannot be combined with plugin hints ("shell")`,
		}},
		{"timer and signal together", func(fx *fixture) {
			timerBlock(fx, core.Metadata{"timer": map[string]any{"wait": "1h"}}, core.HintTimer, core.HintSignal)
		}, []string{
			impl + `execution_hints: "openoma.timer", "openoma.signal" are each a whole kind of block; a block has at most one`,
		}},
		{"unknown built-in hint", func(fx *fixture) {
			timerBlock(fx, nil, "openoma.timr")
		}, []string{
			impl + `execution_hints[0]: "openoma.timr" is not a built-in hint (the host serves "openoma.timer", "openoma.signal"; names starting "openoma." are reserved for them)`,
		}},
		{"timer and signal on other blocks", func(fx *fixture) {
			fx.review.Metadata = core.Metadata{"timer": map[string]any{"wait": "1h"}}
			fx.sprint.Nodes[1].Metadata = core.Metadata{"signal": map[string]any{"name": "deployed"}}
		}, []string{
			`blocks.yaml:21: block "Code Review" v1: metadata.timer: takes effect only on a block whose execution_hints are ["openoma.timer"]; this block's are ["github-access"]`,
			sprint + `nodes[1].metadata.signal: takes effect only on a node whose block's execution_hints are ["openoma.signal"]; block "Implementation" v1 has empty`,
		}},
		{"signal block takes the alias", func(fx *fixture) {
			timerBlock(fx, nil, core.HintSignal)
		}, nil},
		{"signal block without alias or name", func(fx *fixture) {
			timerBlock(fx, core.Metadata{"signal": map[string]any{"nam": "x"}}, core.HintSignal)
			fx.sprint.Nodes[3].Alias = ""
		}, []string{
			impl + `metadata.signal.nam: unknown key "nam" (known: name); did you mean "name"?`,
			sprint + `nodes[3]: block "Implementation" v1 is an openoma.signal block and this node has no alias, so it needs signal: {name: "<name>"} in its block's or this node's metadata to say which signal it waits for`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture()
			tt.break_(fx)
			checkLines(t, errorLines(t, validate.Catalog(fx.catalog(), validate.RequireRunnable())), tt.want)
		})
	}
}
