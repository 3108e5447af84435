package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// fullDisk refuses the first `full` appends with ErrNoSpace, as a store on
// a full disk does, then lets them through to a real store.
type fullDisk struct {
	store.EventStore
	full, calls atomic.Int64
}

func (f *fullDisk) Append(ctx context.Context, evs []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if f.calls.Add(1) <= f.full.Load() {
		return nil, fmt.Errorf("%w: disk full: 0 MiB free on /test", store.ErrNoSpace)
	}
	return f.EventStore.Append(ctx, evs, opts)
}

func TestAppendWaitingForSpace(t *testing.T) {
	created, _ := execution.NewEvent(uuid.New(), execution.EventCreated, nil, execution.Created{Kind: execution.KindFlow, FlowID: uuid.New(), FlowVersion: 1})
	t.Run("waits until the disk has room, then stores once", func(t *testing.T) {
		s := &fullDisk{EventStore: memory.New()}
		s.full.Store(3)
		var waits, recoveries int
		start := time.Now()
		stored, err := store.AppendWaitingForSpace(context.Background(), s, []execution.Event{created}, store.AppendOptions{},
			func(error) { waits++ }, func() { recoveries++ })
		if err != nil || len(stored) != 1 || stored[0].Sequence != 1 {
			t.Fatalf("AppendWaitingForSpace = %v, %v", stored, err)
		}
		if s.calls.Load() != 4 || waits != 1 || recoveries != 1 {
			t.Errorf("%d calls, %d waits, %d recoveries; want 4, 1, 1", s.calls.Load(), waits, recoveries)
		}
		// 100 + 200 + 400 ms of backoff, at least.
		if took := time.Since(start); took < 700*time.Millisecond {
			t.Errorf("returned after %s: it did not wait between tries", took)
		}
	})
	t.Run("gives up with the refusal when ctx ends", func(t *testing.T) {
		s := &fullDisk{EventStore: memory.New()}
		s.full.Store(1 << 30)
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		_, err := store.AppendWaitingForSpace(ctx, s, []execution.Event{created}, store.AppendOptions{}, nil, nil)
		if !errors.Is(err, store.ErrNoSpace) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrNoSpace and the deadline", err)
		}
		if n := s.calls.Load(); n < 2 {
			t.Errorf("%d tries before the deadline, want at least 2", n)
		}
	})
	t.Run("other errors return at once", func(t *testing.T) {
		s := &fullDisk{EventStore: memory.New()}
		_, err := store.AppendWaitingForSpace(context.Background(), s, []execution.Event{created}, store.ExpectSequence(5), nil, nil)
		if !errors.Is(err, store.ErrConflict) || s.calls.Load() != 1 {
			t.Fatalf("err = %v after %d calls, want ErrConflict after 1", err, s.calls.Load())
		}
	})
}
