package storetest

import (
	"errors"
	"testing"

	"github.com/openoma/openoma/store"
)

func closeProperties() []property {
	return []property{
		{"Close/CallsAfterCloseFail", testCallsAfterClose},
	}
}

func testCallsAfterClose(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created()))
	sub := subscribe(t, s, store.SubscribeOptions{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	calls := map[string]error{}
	_, calls["Append"] = s.Append(ctx, batch(l.progress(1)), store.AppendOptions{})
	_, calls["Append (retry of a stored event)"] = s.Append(ctx, batch(l.created()), store.AppendOptions{})
	_, calls["Events"] = s.Events(ctx, l.id, 0)
	_, calls["LatestEvent"] = s.LatestEvent(ctx, l.id)
	_, calls["Execution"] = s.Execution(ctx, l.id)
	_, calls["ListExecutions"] = s.ListExecutions(ctx, store.Filter{})
	_, calls["Subscribe"] = s.Subscribe(ctx, store.SubscribeOptions{})
	_, calls["Next on an open subscription"] = sub.Next(ctx)
	for call, err := range calls {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", call, err)
		}
	}
	// A second Close may report ErrClosed or nothing, but must not fail
	// otherwise.
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
}
