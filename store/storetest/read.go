package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func readProperties() []property {
	return []property{
		{"Read/EventsAfter", testEventsAfter},
		{"Read/EventsOfUnknownExecution", testEventsUnknown},
		{"Read/LatestEvent", testLatestEvent},
		{"Read/ExecutionInfo", testExecutionInfo},
		{"Read/ExecutionInfoOfForeignLog", testForeignLog},
		{"Read/LastPosition", testLastPosition},
	}
}

// testLastPosition checks the optional store.Positioner: 0 when empty,
// then the Position of the newest stored event.
func testLastPosition(t *testing.T, s store.EventStore) {
	p, ok := s.(store.Positioner)
	if !ok {
		t.Skip("store does not implement store.Positioner")
	}
	ctx := context.Background()
	if got, err := p.LastPosition(ctx); err != nil || got != 0 {
		t.Fatalf("LastPosition of an empty store = %d, %v; want 0", got, err)
	}
	a, b := newLog(), newLog()
	mustAppend(t, s, batch(a.created(), a.progress(1)))
	stored := mustAppend(t, s, batch(b.created()))
	if got, err := p.LastPosition(ctx); err != nil || got != stored[0].Position {
		t.Fatalf("LastPosition = %d, %v; want %d", got, err, stored[0].Position)
	}
}

func testEventsAfter(t *testing.T, s store.EventStore) {
	l := newLog()
	stored := mustAppend(t, s, batch(l.created(), l.event(execution.EventStarted, ""), l.progress(1), l.progress(2), l.event(execution.EventCompleted, "")))
	for _, after := range []uint64{0, 1, 2, 4, 5, 6, 1000} {
		want := []execution.Event{}
		if after < uint64(len(stored)) {
			want = stored[after:]
		}
		if d := diffLogs(want, mustEvents(t, s, l.id, after)); d != "" {
			t.Errorf("Events(after %d): %s", after, d)
		}
	}
}

func testEventsUnknown(t *testing.T, s store.EventStore) {
	if got := mustEvents(t, s, uuid.New(), 0); len(got) != 0 {
		t.Errorf("Events of an unknown execution = %d events, want none", len(got))
	}
}

func testLatestEvent(t *testing.T, s store.EventStore) {
	unknown := uuid.New()
	if _, err := s.LatestEvent(t.Context(), unknown); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestEvent(unknown) = %v, want ErrNotFound", err)
	}
	l, other := newLog(), newLog()
	for i, b := range [][]execution.Event{
		batch(l.created()),
		batch(l.event(execution.EventStarted, ""), l.progress(1)),
		batch(l.progress(2)),
	} {
		stored := mustAppend(t, s, b)
		mustAppend(t, s, batch(other.progressOrCreated(i)))
		got, err := s.LatestEvent(t.Context(), l.id)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffEvent(stored[len(stored)-1], got); d != "" {
			t.Errorf("after append %d: LatestEvent: %s", i, d)
		}
	}
}

// progressOrCreated is the execution's created event on the first call and
// a progress event after, to keep a second execution busy.
func (l *logBuilder) progressOrCreated(i int) execution.Event {
	if i == 0 {
		return l.created()
	}
	return l.progress(i)
}

func testExecutionInfo(t *testing.T, s store.EventStore) {
	if _, err := s.Execution(t.Context(), uuid.New()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Execution(unknown) = %v, want ErrNotFound", err)
	}
	flowExec, blockID := uuid.New(), uuid.New()
	l := newLog()
	created := l.createdAs(execution.Created{
		Kind: execution.KindBlock, FlowExecutionID: flowExec, NodeReferenceID: uuid.New(),
		WorkBlockID: blockID, WorkBlockVersion: 3, Attempt: 2,
	})
	created.Timestamp = created.Timestamp.In(utcPlus2)
	stored := mustAppend(t, s, batch(created, l.event(execution.EventStarted, "")))
	info, err := s.Execution(t.Context(), l.id)
	if err != nil {
		t.Fatal(err)
	}
	want := store.ExecutionInfo{
		ID: l.id, Kind: execution.KindBlock, Parent: flowExec, DefinitionID: blockID, DefinitionVersion: 3,
		LastSequence: 2, CreatedAt: stored[0].Timestamp,
	}
	checkInfo(t, info, want)

	f := newLog()
	contractExec, flowID := uuid.New(), uuid.New()
	mustAppend(t, s, batch(f.createdAs(execution.Created{
		Kind: execution.KindFlow, FlowID: flowID, FlowVersion: 1, Role: execution.RoleWork, ParentExecutionID: contractExec,
	})))
	info, err = s.Execution(t.Context(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	checkInfo(t, info, store.ExecutionInfo{
		ID: f.id, Kind: execution.KindFlow, Parent: contractExec, DefinitionID: flowID, DefinitionVersion: 1,
		LastSequence: 1, CreatedAt: f.clock,
	})
}

func checkInfo(t *testing.T, got, want store.ExecutionInfo) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("execution %s: CreatedAt %s, want %s (the created event's timestamp)", want.ID, got.CreatedAt, want.CreatedAt)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("execution %s: CreatedAt %s is not in UTC", want.ID, got.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if got != want {
		t.Errorf("Execution(%s) =\n  %+v\nwant\n  %+v", want.ID, got, want)
	}
}

func testForeignLog(t *testing.T, s store.EventStore) {
	// A log written by another openoma implementation carries a created
	// payload that is not ours; it is stored and indexed without kind,
	// parent or definition.
	for _, payload := range []string{"", `{"note":"from python"}`, `"just a string"`} {
		l := newLog()
		mustAppend(t, s, batch(l.event(execution.EventCreated, payload), l.event(execution.EventCompleted, "")))
		info, err := s.Execution(t.Context(), l.id)
		if err != nil {
			t.Fatal(err)
		}
		checkInfo(t, info, store.ExecutionInfo{ID: l.id, LastSequence: 2, Terminal: true, CreatedAt: base.Add(time.Millisecond)})
	}
}
