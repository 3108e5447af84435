package badger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// TestAbandonRejudges checks what the appends of a group whose commit
// failed are told. Each was judged inside the failed transaction, beside a
// write that never happened; the answer must be what the committed store
// says of it, not what the lost write made of it.
func TestAbandonRejudges(t *testing.T) {
	s, err := OpenInMemory(Options{})
	if err != nil {
		t.Fatalf("OpenInMemory: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	errCommitFailed := fmt.Errorf("%w: commit: injected", ErrWriteFailed)
	exec := uuid.New()
	ev := func(typ execution.EventType) execution.Event {
		return execution.Event{ID: uuid.New(), ExecutionID: exec, EventType: typ, Timestamp: time.Now()}
	}
	created := ev(execution.EventCreated)
	if _, err := s.Append(ctx, []execution.Event{created}, store.AppendOptions{}); err != nil {
		t.Fatalf("Append created: %v", err)
	}
	lost, completed := ev(execution.EventProgress), ev(execution.EventCompleted)
	cases := []struct {
		name   string
		events []execution.Event
		opts   store.AppendOptions
		// judged is what the group made of it beside the lost write.
		judged string
		// want is the answer after the commit failed: an error matching
		// wantErr, or success returning wantEvents.
		wantErr    error
		wantEvents []execution.Event
	}{
		{"the lost write", []execution.Event{lost, completed}, store.AppendOptions{}, "write", errCommitFailed, nil},
		{"conflict with the lost write", []execution.Event{ev(execution.EventProgress)}, store.ExpectSequence(1), "refused", errCommitFailed, nil},
		{"final because of the lost write", []execution.Event{ev(execution.EventStarted)}, store.AppendOptions{}, "refused", errCommitFailed, nil},
		{"retry of the lost write", []execution.Event{lost, completed}, store.AppendOptions{}, "retry", errCommitFailed, nil},
		{"retry of a committed event", []execution.Event{created}, store.AppendOptions{}, "retry", nil, []execution.Event{created}},
		{"conflict with the committed log", []execution.Event{ev(execution.EventProgress)}, store.ExpectSequence(0), "refused", store.ErrConflict, nil},
		{"invalid whatever is committed", []execution.Event{ev(execution.EventCreated)}, store.AppendOptions{}, "refused", store.ErrInvalid, nil},
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var g group
	pos := s.lastPos.Load()
	reqs := make([]*writeRequest, len(cases))
	for i, c := range cases {
		r := &writeRequest{ctx: ctx, events: c.events, opts: c.opts, reply: make(chan writeResult, 1)}
		reqs[i] = r
		p, err := s.prepare(txn, r, pos, time.Now())
		judged := "refused"
		switch {
		case err != nil:
			g.refuse(r, err)
		case p.noop:
			judged = "retry"
			g.accepted = append(g.accepted, p)
		default:
			judged = "write"
			if err := p.apply(txn); err != nil {
				t.Fatalf("%s: apply: %v", c.name, err)
			}
			pos = p.lastPos
			g.accepted = append(g.accepted, p)
		}
		if judged != c.judged {
			t.Fatalf("%s: the group judged it a %s, want a %s (the test no longer sets up what it means to)", c.name, judged, c.judged)
		}
	}
	s.abandon(g, errCommitFailed)
	for i, c := range cases {
		var res writeResult
		select {
		case res = <-reqs[i].reply:
		default:
			t.Fatalf("%s: not answered", c.name)
		}
		if c.wantErr != nil {
			if !errors.Is(res.err, c.wantErr) {
				t.Errorf("%s: answered %v, want %v", c.name, res.err, c.wantErr)
			}
			continue
		}
		if res.err != nil || len(res.events) != len(c.wantEvents) {
			t.Errorf("%s: answered %d events, %v; want %d events", c.name, len(res.events), res.err, len(c.wantEvents))
			continue
		}
		for j, want := range c.wantEvents {
			if res.events[j].ID != want.ID || res.events[j].Sequence != uint64(j+1) {
				t.Errorf("%s: event %d is %s at %d, want %s at %d", c.name, j, res.events[j].ID, res.events[j].Sequence, want.ID, j+1)
			}
		}
	}
	if got, err := s.Events(ctx, exec, 0); err != nil || len(got) != 1 {
		t.Errorf("after the failed commit the log holds %d events (%v), want the one committed", len(got), err)
	}
}
