package sdk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// countingStore counts appends, to show how many round trips a lifecycle
// costs.
type countingStore struct {
	store.EventStore
	mu      sync.Mutex
	appends int
}

func (c *countingStore) Append(ctx context.Context, evs []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	c.mu.Lock()
	c.appends++
	c.mu.Unlock()
	return c.EventStore.Append(ctx, evs, opts)
}

func types(events []execution.Event) string {
	s := make([]string, len(events))
	for i, ev := range events {
		s[i] = string(ev.EventType)
	}
	return strings.Join(s, " ")
}

func TestEmitterLifecycles(t *testing.T) {
	block := echoBlock()
	cases := []struct {
		name      string
		steps     func(ctx context.Context, em *sdk.Emitter) error
		wantErr   error
		wantLog   string
		appends   int
		wantState execution.State
	}{
		{
			name: "begin and finish",
			steps: func(ctx context.Context, em *sdk.Emitter) error {
				return join(em.Begin(ctx), em.Finish(ctx, map[string]any{"message": "m"}))
			},
			wantLog: "created executor_assigned started outcome_produced completed", appends: 2, wantState: execution.StateCompleted,
		},
		{
			name: "finish alone",
			steps: func(ctx context.Context, em *sdk.Emitter) error {
				return em.Finish(ctx, map[string]any{"message": "m"})
			},
			wantLog: "created executor_assigned started outcome_produced completed", appends: 1, wantState: execution.StateCompleted,
		},
		{
			name: "one call per step",
			steps: func(ctx context.Context, em *sdk.Emitter) error {
				return join(em.Assign(ctx), em.Start(ctx), em.Progress(ctx, map[string]any{"pct": 50}),
					em.Output(ctx, map[string]any{"message": "m"}), em.Output(ctx, map[string]any{"note": "n"}), em.Complete(ctx))
			},
			wantLog: "created executor_assigned started progress outcome_produced outcome_produced completed", appends: 6,
			wantState: execution.StateCompleted,
		},
		{
			name:    "missing required output fails the block",
			steps:   func(ctx context.Context, em *sdk.Emitter) error { return em.Finish(ctx, map[string]any{"note": "n"}) },
			wantErr: sdk.ErrMissingOutput,
			wantLog: "created executor_assigned started outcome_produced failed", appends: 1, wantState: execution.StateFailed,
		},
		{
			name:    "undeclared output appends nothing",
			steps:   func(ctx context.Context, em *sdk.Emitter) error { return em.Output(ctx, map[string]any{"surprise": 1}) },
			wantErr: sdk.ErrUndeclaredOutput,
			wantLog: "created", appends: 0, wantState: execution.StatePending,
		},
		{
			name: "fail",
			steps: func(ctx context.Context, em *sdk.Emitter) error {
				return join(em.Begin(ctx), em.Fail(ctx, "exit_status", "exit status 2"))
			},
			wantLog: "created executor_assigned started failed", appends: 2, wantState: execution.StateFailed,
		},
		{
			name:    "skip",
			steps:   func(ctx context.Context, em *sdk.Emitter) error { return em.Skip(ctx, "not needed") },
			wantLog: "created skipped", appends: 1, wantState: execution.StateSkipped,
		},
		{
			name: "nothing after the end",
			steps: func(ctx context.Context, em *sdk.Emitter) error {
				return join(em.Cancel(ctx, "stop"), em.Progress(ctx, "late"))
			},
			wantErr: store.ErrFinal,
			wantLog: "created cancelled", appends: 1, wantState: execution.StateCancelled,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := &countingStore{EventStore: memory.New()}
			req := newExecution(t, s, block, map[string]any{"message": "m"})
			s.appends = 0
			em := req.Emitter(sdk.System("test"))
			err := c.steps(ctx, em)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			events, _ := s.Events(ctx, req.ExecutionID, 0)
			if got := types(events); got != c.wantLog {
				t.Errorf("log %q, want %q", got, c.wantLog)
			}
			if s.appends != c.appends {
				t.Errorf("%d appends, want %d", s.appends, c.appends)
			}
			if st := execution.DeriveBlockState(events); st != c.wantState {
				t.Errorf("state %s, want %s", st, c.wantState)
			}
			if c.wantState.IsTerminal() {
				if err := plugintest.CheckLifecycle(block, events); err != nil && c.wantState == execution.StateCompleted {
					t.Error(err)
				}
			}
			for _, ev := range events[1:] {
				if ev.Executor == nil || ev.Executor.Identifier != "test" || ev.ID == uuid.Nil || ev.Timestamp.IsZero() {
					t.Errorf("%s lacks executor, id or timestamp: %+v", ev.EventType, ev)
				}
			}
		})
	}
}

func TestEmitterMissingOutputReasonNamesThePort(t *testing.T) {
	s := memory.New()
	req := newExecution(t, s, echoBlock(), nil)
	err := req.Emitter(sdk.System("test")).Complete(context.Background())
	if !errors.Is(err, sdk.ErrMissingOutput) {
		t.Fatalf("got %v", err)
	}
	events, _ := s.Events(context.Background(), req.ExecutionID, 0)
	b, _ := execution.ProjectBlock(events)
	if want := `block "echo" v1: required output "message" not produced`; b.FailureReason() != want {
		t.Errorf("reason %q, want %q", b.FailureReason(), want)
	}
}

func TestEmitterSurfacesConflicts(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	req := newExecution(t, s, echoBlock(), nil)
	em := req.Emitter(sdk.System("a"))
	if err := em.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	// Someone else writes to the log.
	intruder := sdk.NewEmitter(s, req.ExecutionID, sdk.System("b"))
	if _, err := intruder.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := intruder.Assign(ctx); err != nil {
		t.Fatal(err)
	}
	err := em.Finish(ctx, map[string]any{"message": "m"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("got %v, want a conflict", err)
	}
	// Sync adopts the log; the emitter re-assigns itself and goes on.
	if _, err := em.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Finish(ctx, map[string]any{"message": "m"}); err != nil {
		t.Fatal(err)
	}
	events, _ := s.Events(ctx, req.ExecutionID, 0)
	if got, want := types(events), "created executor_assigned started executor_assigned executor_assigned outcome_produced completed"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestResumeEmitterKnowsTheLog(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	block := echoBlock()
	req := newExecution(t, s, block, map[string]any{"message": "m"})
	first := req.Emitter(sdk.System("first"))
	if err := join(first.Begin(ctx), first.Output(ctx, map[string]any{"message": "m"})); err != nil {
		t.Fatal(err)
	}
	em, b, err := sdk.ResumeRequest{ExecutionID: req.ExecutionID, Block: block, Store: s}.Emitter(ctx, sdk.System("second"))
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateInProgress || em.Sequence() != 4 {
		t.Errorf("resumed at %s seq %d, want in_progress seq 4", b.State, em.Sequence())
	}
	// Started and the required output are in the log: Begin only
	// re-assigns, Complete succeeds.
	if err := join(em.Begin(ctx), em.Complete(ctx)); err != nil {
		t.Fatal(err)
	}
	events, _ := s.Events(ctx, req.ExecutionID, 0)
	if got, want := types(events), "created executor_assigned started outcome_produced executor_assigned completed"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

// flakyStore loses the answer to the first append after storing it, as a
// broken connection would.
type flakyStore struct {
	store.EventStore
	once sync.Once
}

func (f *flakyStore) Append(ctx context.Context, evs []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	out, err := f.EventStore.Append(ctx, evs, opts)
	lost := false
	f.once.Do(func() { lost = true })
	if lost {
		return nil, sdk.ErrUnavailable
	}
	return out, err
}

func TestEmitterRecoversFromALostAnswer(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	req := newExecution(t, mem, echoBlock(), nil)
	req.Store = &flakyStore{EventStore: mem}
	em := req.Emitter(sdk.System("test"))
	if err := em.Begin(ctx); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	// The begin did land; the emitter re-reads before appending again
	// instead of failing on a stale sequence.
	if err := em.Finish(ctx, map[string]any{"message": "m"}); err != nil {
		t.Fatal(err)
	}
	events, _ := mem.Events(ctx, req.ExecutionID, 0)
	if got, want := types(events), "created executor_assigned started outcome_produced completed"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestRunOutcomes(t *testing.T) {
	cases := []struct {
		name   string
		work   sdk.WorkFunc
		cancel bool
		state  execution.State
		code   string
	}{
		{"outputs", func(context.Context) (map[string]any, error) { return map[string]any{"message": "m"}, nil }, false, execution.StateCompleted, ""},
		{"coded failure", func(context.Context) (map[string]any, error) { return nil, sdk.Failf("exit_status", "exit %d", 3) }, false, execution.StateFailed, "exit_status"},
		{"plain error", func(context.Context) (map[string]any, error) { return nil, errors.New("no") }, false, execution.StateFailed, "error"},
		{"undeclared output", func(context.Context) (map[string]any, error) { return map[string]any{"x": 1}, nil }, false, execution.StateFailed, "undeclared_output"},
		{"missing output", func(context.Context) (map[string]any, error) { return nil, nil }, false, execution.StateFailed, "missing_output"},
		{"panic", func(context.Context) (map[string]any, error) { panic("boom") }, false, execution.StateFailed, "panic"},
		{"cancelled", func(ctx context.Context) (map[string]any, error) { <-ctx.Done(); return nil, ctx.Err() }, true, execution.StateCancelled, "cancelled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := memory.New()
			req := newExecution(t, s, echoBlock(), nil)
			var tasks sdk.Tasks
			ctx := context.Background()
			tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) { _ = req.Emitter(sdk.System("t")).Run(ctx, c.work) })
			if c.cancel {
				if !tasks.Cancel(req.ExecutionID, "stop") {
					t.Fatal("Cancel found nothing running")
				}
			}
			wctx, stop := context.WithTimeout(ctx, 10*time.Second)
			defer stop()
			b := waitEnd(t, wctx, s, req.ExecutionID)
			if b.State != c.state {
				t.Fatalf("state %s, want %s (%s)", b.State, c.state, b.FailureReason())
			}
			if c.code != "" {
				var f execution.Failure
				_ = b.Events[len(b.Events)-1].DecodePayload(&f)
				if f.Code != c.code || f.Reason == "" {
					t.Errorf("failure %+v, want code %q with a reason", f, c.code)
				}
			}
		})
	}
}

func TestRunCoalescesShortWork(t *testing.T) {
	cases := []struct {
		name    string
		sleep   time.Duration
		appends int
	}{
		{"instant work: one append", 0, 1},
		{"longer work: begin, then end", 20 * sdk.CoalesceWindow, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.New()
			req := newExecution(t, mem, echoBlock(), nil)
			s := &countingStore{EventStore: mem}
			req.Store = s
			err := req.Emitter(sdk.System("t")).Run(context.Background(), func(context.Context) (map[string]any, error) {
				time.Sleep(c.sleep)
				return map[string]any{"message": "m"}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			events, _ := mem.Events(context.Background(), req.ExecutionID, 0)
			if got, want := types(events), "created executor_assigned started outcome_produced completed"; got != want {
				t.Errorf("log %q, want %q", got, want)
			}
			// Scheduling decides whether instant work beats the window, so
			// only the upper bound is certain for it.
			if s.appends > c.appends && c.sleep == 0 {
				t.Logf("instant work took %d appends (the scheduler was slow)", s.appends)
			} else if s.appends != c.appends {
				t.Errorf("%d appends, want %d", s.appends, c.appends)
			}
		})
	}
}

func TestTasksShutdownReleasesInsteadOfCancelling(t *testing.T) {
	s := memory.New()
	req := newExecution(t, s, echoBlock(), nil)
	var tasks sdk.Tasks
	started := make(chan struct{})
	tasks.Go(context.Background(), req.ExecutionID, func(ctx context.Context) {
		_ = req.Emitter(sdk.System("t")).Run(ctx, func(ctx context.Context) (map[string]any, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
	})
	<-started
	waitFor(t, s, req.ExecutionID, execution.EventStarted)
	if tasks.Go(context.Background(), req.ExecutionID, func(context.Context) {}) {
		t.Error("a second Go for a running execution started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tasks.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	events, _ := s.Events(ctx, req.ExecutionID, 0)
	if got, want := types(events), "created executor_assigned started executor_released"; got != want {
		t.Errorf("log %q, want %q: a shutdown leaves the block for the next process", got, want)
	}
	if tasks.Running(req.ExecutionID) {
		t.Error("still running after Shutdown")
	}
}

func TestEmitterIsSafeForConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	req := newExecution(t, s, echoBlock(), nil)
	em := req.Emitter(sdk.System("t"))
	if err := em.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := em.Progress(ctx, map[string]any{"i": i}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	events, _ := s.Events(ctx, req.ExecutionID, 0)
	if len(events) != 3+16 || em.Sequence() != uint64(len(events)) {
		t.Errorf("%d events, emitter at %d; want 19 and 19", len(events), em.Sequence())
	}
}

func join(errs ...error) error { return errors.Join(errs...) }

// waitFor follows an execution until an event of type typ arrives.
func waitFor(t *testing.T, s store.EventStore, id uuid.UUID, typ execution.EventType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := s.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if ev.EventType == typ {
			return
		}
	}
}
