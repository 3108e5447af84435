package host

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

func appendEv(t *testing.T, s store.EventStore, id uuid.UUID, typ execution.EventType, payload any) {
	t.Helper()
	ev, err := execution.NewEvent(id, typ, nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// positionsOf lists the positions of every event of the tree under root.
func positionsOf(t *testing.T, s store.EventStore, ids ...uuid.UUID) []uint64 {
	t.Helper()
	var out []uint64
	for _, id := range ids {
		evs, err := s.Events(context.Background(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			out = append(out, e.Position)
		}
	}
	slices.Sort(out)
	return out
}

func TestStreamTreeFollowDeliversEveryEventOnce(t *testing.T) {
	s := memory.New()
	defer s.Close()
	root, a, b, other := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	appendEv(t, s, root, execution.EventCreated, execution.Created{Kind: execution.KindFlow})
	appendEv(t, s, a, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: root})
	appendEv(t, s, other, execution.EventCreated, execution.Created{Kind: execution.KindFlow})

	var mu sync.Mutex
	var got []uint64
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		done <- StreamTree(ctx, s, root, 0, true, func(ev execution.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev.Position)
			return nil
		})
	}()
	// Interleave the tree's logs (and an unrelated one) while the
	// follower reads its snapshot, then add a child and end the root.
	for i := range 20 {
		appendEv(t, s, root, execution.EventProgress, i)
		appendEv(t, s, a, execution.EventProgress, i)
		appendEv(t, s, other, execution.EventProgress, i)
	}
	appendEv(t, s, b, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: root})
	appendEv(t, s, b, execution.EventCompleted, nil)
	appendEv(t, s, root, execution.EventCompleted, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := positionsOf(t, s, root, a, b)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered positions %v\nwant %v", got, want)
	}
}

func TestStreamTreeUnknownExecution(t *testing.T) {
	s := memory.New()
	defer s.Close()
	err := StreamTree(context.Background(), s, uuid.New(), 0, false, func(execution.Event) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", err)
	}
}
