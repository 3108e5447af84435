package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// fixture is a store with one flow execution, and a service over it with
// a fixed clock and a people directory.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	st   store.EventStore
	svc  *Service
	flow uuid.UUID
	now  time.Time
}

var testPeople = config.Tasks{
	People: []config.Person{
		{OSUser: "alice", Name: "alice", Groups: []string{"reviewers"}},
		{OSUser: "bob", Name: "bob", Groups: []string{"engineering"}},
		{OSUser: "carol", Name: "carol"},
		{OSUser: "1005", Name: "dave", Groups: []string{"reviewers"}},
	},
	Admins:        []string{"carol"},
	Escalation:    config.Escalation{Group: "leads", After: time.Hour},
	CheckInterval: time.Minute,
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, ctx: context.Background(), st: st, now: time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)}
	f.svc = New(Options{Store: st, Config: testPeople, Now: func() time.Time { return f.now }})
	f.flow = uuid.New()
	f.append(f.flow, execution.EventCreated, sys(), execution.Created{Kind: execution.KindFlow, FlowID: uuid.New(), FlowVersion: 1})
	return f
}

func sys() *execution.ExecutorInfo {
	return &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test"}
}

func (f *fixture) append(exec uuid.UUID, typ execution.EventType, x *execution.ExecutorInfo, payload any) execution.Event {
	f.t.Helper()
	ev, err := execution.NewEvent(exec, typ, x, payload)
	if err != nil {
		f.t.Fatal(err)
	}
	stored, err := f.st.Append(f.ctx, []execution.Event{ev}, store.AppendOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return stored[0]
}

// reviewPorts are the outputs of the test's review task.
var reviewPorts = []Port{
	{Name: "verdict", Required: true, Schema: map[string]any{"type": "string", "enum": []any{"approved", "changes_requested"}}},
	{Name: "score", Required: false, Schema: map[string]any{"type": "object", "properties": map[string]any{
		"value": map[string]any{"type": "integer", "minimum": 0}}, "required": []any{"value"}}},
	{Name: "comments", Required: false},
}

// task records a pending task as the manual plugin does, held by holder
// (an executor as the plugin records it).
func (f *fixture) task(holder execution.ExecutorInfo, due *time.Time) uuid.UUID {
	f.t.Helper()
	return f.taskWithID(uuid.New(), holder, due)
}

func (f *fixture) taskWithID(id uuid.UUID, holder execution.ExecutorInfo, due *time.Time) uuid.UUID {
	f.t.Helper()
	f.append(id, execution.EventCreated, sys(), execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: f.flow, NodeReferenceID: uuid.New(), WorkBlockID: uuid.New(), WorkBlockVersion: 1,
		Inputs: map[string]any{"pull_request_url": "https://example.invalid/pr/7"}, Attempt: 1,
	})
	f.append(id, execution.EventExecutorAssigned, &holder, nil)
	f.append(id, execution.EventStarted, sys(), nil)
	f.append(id, execution.EventProgress, sys(), TaskPayload{
		Type: ProgressTask, Title: "Code Review", Description: "Review it.", BlockName: "Code Review", BlockVersion: 1,
		Inputs: map[string]any{"pull_request_url": "https://example.invalid/pr/7"}, Outputs: reviewPorts, Due: due,
	})
	return id
}

func person(name string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: name, Metadata: map[string]any{"kind": "person"}}
}

func group(g ...string) execution.ExecutorInfo {
	list := make([]any, len(g))
	for i := range g {
		list[i] = g[i]
	}
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "group:x", Metadata: map[string]any{"kind": "group", "groups": list}}
}

func unassigned() execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "unassigned", Metadata: map[string]any{"kind": "unassigned"}}
}

// caller is the OS user as the control socket would resolve it.
func (f *fixture) caller(user string, uid int) identity.Caller {
	return f.svc.People().OSUser(identity.OSUser{Login: user, UID: uid, GID: uid, PID: 1})
}

func (f *fixture) actor(user string, uid int, as string) Actor {
	f.t.Helper()
	a, err := f.svc.People().ActAs(f.caller(user, uid), as)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) log(id uuid.UUID) []execution.Event {
	f.t.Helper()
	events, err := f.st.Events(f.ctx, id, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

func types(events []execution.Event) []execution.EventType {
	out := make([]execution.EventType, len(events))
	for i, e := range events {
		out[i] = e.EventType
	}
	return out
}
