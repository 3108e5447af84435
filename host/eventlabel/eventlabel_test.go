package eventlabel

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// Event lines name executions as a person knows them: the flow, then each
// block by its node alias and block name.
func TestLabels(t *testing.T) {
	cat, err := core.LoadFiles(core.File{Name: "defs.yaml", Data: []byte(`
kind: work_block
name: Echo
version: 1
inputs: [{name: text, description: what}]
outputs: [{name: text, description: what}]
---
kind: flow
name: Echo Flow
version: 1
nodes: [{alias: say, block: Echo@1}]
edges: [{to: say}]
`)})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := cat.LookupFlow("Echo Flow")
	b, _ := cat.LookupWorkBlock("Echo")
	flowExec, blockExec, stranger := uuid.New(), uuid.New(), uuid.New()
	created := func(id uuid.UUID, c execution.Created) execution.Event {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return execution.Event{ExecutionID: id, EventType: execution.EventCreated, Payload: raw}
	}
	l := New(cat)
	steps := []struct {
		ev   execution.Event
		want string
	}{
		{created(flowExec, execution.Created{Kind: execution.KindFlow, FlowID: f.ID, FlowVersion: f.Version}), `flow "Echo Flow"`},
		{execution.Event{ExecutionID: flowExec, EventType: execution.EventStarted}, `flow "Echo Flow"`},
		{created(blockExec, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flowExec,
			NodeReferenceID: f.Nodes[0].ID, WorkBlockID: b.ID, WorkBlockVersion: 1}), "say (Echo)"},
		{execution.Event{ExecutionID: blockExec, EventType: execution.EventCompleted}, "say (Echo)"},
		// A block whose flow's created event was not seen keeps short ids.
		{created(stranger, execution.Created{Kind: execution.KindBlock, FlowExecutionID: uuid.New(),
			NodeReferenceID: f.Nodes[0].ID, WorkBlockID: b.ID, WorkBlockVersion: 1}), f.Nodes[0].ID.String()[:8] + " (Echo)"},
		{execution.Event{ExecutionID: uuid.New(), EventType: execution.EventStarted}, ""},
	}
	for i, s := range steps {
		if got := l.Label(s.ev); got != s.want {
			t.Errorf("step %d (%s): label %q, want %q", i, s.ev.EventType, got, s.want)
		}
	}
	if got := New(nil).Label(steps[0].ev); got != "" {
		t.Errorf("without definitions: label %q, want none", got)
	}
}
