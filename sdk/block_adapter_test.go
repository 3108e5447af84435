package sdk_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
)

// counted is a BlockAdapter whose work counts its runs, echoes "message",
// fails on "fail" and works for "sleep" (a Go duration) first.
func counted(idempotent bool, runs *atomic.Int32) *sdk.BlockAdapter {
	return &sdk.BlockAdapter{
		Info:       sdk.Info{Name: "counted", Version: "1", Hints: []string{"echo"}},
		Idempotent: idempotent,
		Work: func(ctx context.Context, job sdk.Job) (map[string]any, error) {
			runs.Add(1)
			if d, err := time.ParseDuration(stringInput(job.Inputs, "sleep")); err == nil {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(d):
				}
			}
			if job.Inputs["fail"] == true {
				return nil, sdk.Failf("asked_to_fail", "the inputs asked the work to fail")
			}
			return map[string]any{"message": job.Inputs["message"]}, nil
		},
	}
}

func stringInput(inputs map[string]any, name string) string {
	s, _ := inputs[name].(string)
	return s
}

func TestBlockAdapterConformance(t *testing.T) {
	for _, idempotent := range []bool{true, false} {
		t.Run(map[bool]string{true: "idempotent", false: "not idempotent"}[idempotent], func(t *testing.T) {
			plugintest.Run(t, func(testing.TB) sdk.Adapter { return counted(idempotent, new(atomic.Int32)) }, plugintest.Config{
				Block:   echoBlock(),
				Succeed: map[string]any{"message": "hello"},
				Fail:    map[string]any{"message": "hello", "fail": true},
				Slow:    map[string]any{"message": "hello", "sleep": "1m"},
			})
		})
	}
}

// TestBlockAdapterResume resumes executions left in each state a crash
// can leave them in, with idempotent and non-idempotent work.
func TestBlockAdapterResume(t *testing.T) {
	previous := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "previous-process"}
	host := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "host"}
	assigned := execution.Event{EventType: execution.EventExecutorAssigned, Executor: previous}
	started := execution.Event{EventType: execution.EventStarted, Executor: previous}
	released := execution.Event{EventType: execution.EventExecutorReleased, Executor: host, Payload: []byte(`{"reason":"plugin process exited"}`)}
	outcome := execution.Event{EventType: execution.EventOutcomeProduced, Executor: previous, Payload: []byte(`{"message":"from before"}`)}
	cases := []struct {
		name       string
		idempotent bool
		log        []execution.Event
		state      execution.State
		runs       int32
		code       string
		leftovers  bool
	}{
		{"never started", false, []execution.Event{assigned, released}, execution.StateCompleted, 1, "", false},
		{"interrupted, idempotent: runs again", true, []execution.Event{assigned, started, released}, execution.StateCompleted, 1, "", true},
		{"interrupted by a host crash (no release), idempotent", true, []execution.Event{assigned, started}, execution.StateCompleted, 1, "", true},
		{"interrupted, not idempotent: fails", false, []execution.Event{assigned, started, released}, execution.StateFailed, 0, "interrupted", true},
		{"outputs recorded: completes without running", false, []execution.Event{assigned, started, outcome, released}, execution.StateCompleted, 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var runs atomic.Int32
			var cleaned atomic.Bool
			a := counted(c.idempotent, &runs)
			a.Leftovers = func(context.Context, execution.BlockExecution) { cleaned.Store(true) }
			h := plugintest.New(t, a, plugintest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			block := echoBlock()
			id, seq, err := h.Create(ctx, block, plugintest.Node(block), map[string]any{"message": "hello"})
			if err != nil {
				t.Fatal(err)
			}
			log := make([]execution.Event, len(c.log))
			for i, ev := range c.log {
				ev.ExecutionID = id
				log[i] = ev
			}
			if _, err := h.Store.Append(ctx, log, store.ExpectSequence(seq)); err != nil {
				t.Fatal(err)
			}
			if err := h.Resume(ctx, id, block); err != nil {
				t.Fatal(err)
			}
			b, err := h.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != c.state {
				t.Fatalf("state %s, want %s (%s)", b.State, c.state, plugintest.Describe(b.Events))
			}
			if err := plugintest.CheckLifecycle(block, b.Events); err != nil {
				t.Error(err)
			}
			if got := runs.Load(); got != c.runs {
				t.Errorf("the work ran %d times, want %d", got, c.runs)
			}
			if cleaned.Load() != c.leftovers {
				t.Errorf("Leftovers called: %v, want %v", cleaned.Load(), c.leftovers)
			}
			if c.code != "" {
				var f execution.Failure
				if err := b.Events[len(b.Events)-1].DecodePayload(&f); err != nil || f.Code != c.code || !strings.Contains(f.Reason, "not idempotent") {
					t.Errorf("failure %+v, want code %q saying it is not idempotent", f, c.code)
				}
			}
		})
	}
}

// TestBlockAdapterNotIdempotentBeginsFirst: the start of non-idempotent
// work is recorded before the work runs, so that a crash during the work
// leaves `started` in the log for the resume to see. (Idempotent work
// may end before its start is recorded: both go in one append.)
func TestBlockAdapterNotIdempotentBeginsFirst(t *testing.T) {
	stateAtStart := make(chan execution.State, 1)
	var h *plugintest.Harness
	a := &sdk.BlockAdapter{
		Info: sdk.Info{Name: "probe", Version: "1", Hints: []string{"echo"}},
		Work: func(ctx context.Context, job sdk.Job) (map[string]any, error) {
			b, _ := h.Block(ctx, job.ExecutionID)
			stateAtStart <- b.State
			return map[string]any{"message": "m"}, nil
		},
	}
	h = plugintest.New(t, a, plugintest.Options{})
	ctx := context.Background()
	block := core.WorkBlock{ID: uuid.New(), Version: 1, Name: "probe",
		Inputs: []core.PortDescriptor{{Name: "message"}}, Outputs: []core.PortDescriptor{{Name: "message"}}}
	b, err := h.Run(ctx, block, map[string]any{"message": "m"})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-stateAtStart; got != execution.StateInProgress {
		t.Errorf("the work began with the execution %s, want in_progress (started recorded)", got)
	}
	if b.State != execution.StateCompleted {
		t.Errorf("state %s", b.State)
	}
}
