package schedule

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store/memory"
)

type starts struct {
	mu   sync.Mutex
	runs []uuid.UUID
	from []Origin
	fail error
}

func (s *starts) start(_ context.Context, flow string, _ map[string]any, id uuid.UUID, o Origin) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, id)
	s.from = append(s.from, o)
	return s.fail
}

var alice = execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "alice"}

// A tick fires once whatever the number of scheduler passes, its run has
// the tick's id, and a scheduler that dies after starting a run but before
// recording it starts the same run again, not another.
func TestSchedulerFiresEachTickOnce(t *testing.T) {
	ctx := context.Background()
	st := NewStore(memory.New())
	sc, err := st.Create(ctx, Spec{Name: "hourly", Flow: "Report@1", Every: time.Hour, CatchUp: CatchUpAll,
		Inputs: map[string]any{"team": "ops"}}, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, Spec{Name: "hourly", Flow: "Other", Every: time.Hour, CatchUp: CatchUpSkip}, alice); !errors.Is(err, ErrExists) {
		t.Fatalf("a second schedule of the same name: %v", err)
	}
	var got starts
	s := NewScheduler(st, got.start, nil)
	now := sc.State.Created.Add(3*time.Hour + time.Minute) // three ticks missed
	s.now = func() time.Time { return now }
	next := s.Tick(ctx)
	s.Tick(ctx) // again at the same instant: nothing more
	if len(got.runs) != 3 {
		t.Fatalf("%d runs started, want 3 (catch-up all)", len(got.runs))
	}
	for i, id := range got.runs {
		tick := sc.State.Created.Add(time.Duration(i+1) * time.Hour)
		if id != RunID(sc.ID, tick) || !got.from[i].Tick.Equal(tick.UTC()) || got.from[i].Schedule != "hourly" {
			t.Errorf("run %d: %s from %+v, want the tick %v's id", i, id, got.from[i], tick)
		}
	}
	if want := sc.State.Created.Add(4 * time.Hour); !next.Equal(want) {
		t.Errorf("next %v, want %v", next, want)
	}
	sc, err = st.Get(ctx, "hourly")
	if err != nil || len(sc.Fired) != 3 {
		t.Fatalf("fired %v, %v", sc.Fired, err)
	}

	// A crash between starting the fourth tick's run and recording it: the
	// next pass starts the same run id.
	now = sc.State.Created.Add(4*time.Hour + time.Second)
	tick4 := sc.State.Created.Add(4 * time.Hour)
	_ = got.start(ctx, "Report@1", nil, RunID(sc.ID, tick4), Origin{}) // started, not recorded
	s.Tick(ctx)
	if n := len(got.runs); n != 5 || got.runs[3] != got.runs[4] {
		t.Errorf("after the crash: runs %v, want the fourth tick's id twice (the start is idempotent)", got.runs[3:])
	}
}

func TestPauseResumeDelete(t *testing.T) {
	ctx := context.Background()
	st := NewStore(memory.New())
	sc, err := st.Create(ctx, Spec{Name: "d", Flow: "F", Every: time.Hour, CatchUp: CatchUpAll}, alice)
	if err != nil {
		t.Fatal(err)
	}
	var got starts
	s := NewScheduler(st, got.start, nil)
	if _, err := st.Pause(ctx, "d", alice); err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return sc.State.Created.Add(5 * time.Hour) }
	s.Tick(ctx)
	if len(got.runs) != 0 {
		t.Fatalf("a paused schedule started %d runs", len(got.runs))
	}
	if _, err := st.Resume(ctx, "d", alice); err != nil {
		t.Fatal(err)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != 1 || list[0].State.Paused {
		t.Fatalf("list %+v, %v", list, err)
	}
	if err := st.Delete(ctx, "d", alice); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.List(ctx); len(list) != 0 {
		t.Errorf("a deleted schedule is listed: %+v", list)
	}
	if _, err := st.Pause(ctx, "d", alice); !errors.Is(err, ErrNotFound) {
		t.Errorf("pause of a deleted schedule: %v", err)
	}
	if _, err := st.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get of an unknown schedule: %v", err)
	}
	// The name is free again.
	again, err := st.Create(ctx, Spec{Name: "d", Flow: "G", Every: time.Hour, CatchUp: CatchUpSkip}, alice)
	if err != nil || again.ID == sc.ID || again.Spec.Flow != "G" {
		t.Errorf("re-created: %+v, %v", again, err)
	}
}

// A tick whose run cannot start is not lost: it is noted, tried again, and
// done once its run starts.
func TestFailedTickIsRetried(t *testing.T) {
	ctx := context.Background()
	st := NewStore(memory.New())
	sc, err := st.Create(ctx, Spec{Name: "h", Flow: "F", Every: time.Hour, CatchUp: CatchUpSkip}, alice)
	if err != nil {
		t.Fatal(err)
	}
	got := starts{fail: errors.New("flow F is not in the definitions")}
	s := NewScheduler(st, got.start, nil)
	now := sc.State.Created.Add(time.Hour + time.Second)
	s.now = func() time.Time { return now }
	if next := s.Tick(ctx); next.Sub(now) != retryFailedTick {
		t.Errorf("after a failed start the next look is in %v, want %v", next.Sub(now), retryFailedTick)
	}
	s.Tick(ctx) // fails again: noted once
	sc, _ = st.Get(ctx, "h")
	if !sc.State.LastTick.IsZero() || len(sc.Fired) != 1 || sc.Fired[0].Error == "" {
		t.Fatalf("after failures: last tick %v, fired %+v; want the tick not done, noted once", sc.State.LastTick, sc.Fired)
	}
	got.fail = nil
	now = now.Add(retryFailedTick)
	s.Tick(ctx)
	sc, _ = st.Get(ctx, "h")
	if want := sc.State.Created.Add(time.Hour); !sc.State.LastTick.Equal(want) {
		t.Errorf("last tick %v, want %v once its run started", sc.State.LastTick, want)
	}
	if len(got.runs) != 3 || got.runs[0] != got.runs[2] {
		t.Errorf("runs %v: want the same tick's id each time", got.runs)
	}
}
