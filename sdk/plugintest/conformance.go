package plugintest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// Config is what the conformance suite needs to know about an adapter: a
// block it serves and inputs that make it succeed and fail.
type Config struct {
	// Block is a block the adapter runs (its hints routed to the adapter).
	Block core.WorkBlock
	// Succeed are inputs with which Block completes.
	Succeed map[string]any
	// Fail are inputs with which Block fails (a failed event with a reason).
	Fail map[string]any
	// Slow, if set, are inputs with which Block runs long enough (a second
	// or more) to be cancelled while running. Without it the cancel check
	// accepts an execution that finished before the cancel arrived.
	Slow map[string]any
	// Concurrency is how many executions the concurrency check runs at
	// once; 8 when zero.
	Concurrency int
	// Quiet is how long the suite watches for events that must not come
	// (after resuming a finished execution); 200ms when zero.
	Quiet time.Duration
	// Timeout bounds each wait for an execution to end; DefaultTimeout
	// when zero.
	Timeout time.Duration
	// Act, for an adapter whose blocks someone else ends (a person
	// completing a task of the manual plugin), plays that someone: after
	// the suite has asked the adapter to run or resume execution id with
	// inputs, and before it waits for the end, Act waits for what the
	// adapter records and then ends the execution as that someone would —
	// completed with outputs for Succeed, failed for Fail — or returns nil
	// at once if the execution has already ended. The cancel checks do
	// not call it.
	Act func(ctx context.Context, s store.EventStore, id uuid.UUID, inputs map[string]any) error
}

// Run checks the behaviour every adapter must show, each property in its
// own subtest with a fresh adapter from newAdapter and a fresh host store,
// through the real gRPC shims:
//
//   - Describe names the adapter, its hints and the SDK's protocol version;
//   - ExecuteBlock returns the execution id it was given, quickly;
//   - a successful run leaves a valid lifecycle ending in completed, a
//     failing one ends in failed with a reason (see CheckLifecycle);
//   - bad inputs (missing, mistyped, unknown) end the execution with a
//     reason rather than crashing the plugin, which keeps answering;
//   - resuming a finished execution appends nothing;
//   - resuming an interrupted execution (created, assigned to a previous
//     executor, started, released), with a new adapter instance, ends it;
//   - cancelling a running execution ends it cancelled (or it had already
//     ended), cancelling a pending one records cancelled, and cancelling a
//     finished one changes nothing;
//   - concurrent executions all end, each in its own log, and the adapter
//     writes to no execution it was not given.
//
// Run it under -race.
func Run(t *testing.T, newAdapter func(t testing.TB) sdk.Adapter, cfg Config) {
	t.Helper()
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	if cfg.Quiet == 0 {
		cfg.Quiet = 200 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	for _, p := range properties() {
		t.Run(p.name, func(t *testing.T) {
			s := memory.New()
			t.Cleanup(func() { _ = s.Close() })
			h := New(t, newAdapter(t), Options{Store: s, Timeout: cfg.Timeout})
			ctx, cancel := context.WithTimeout(context.Background(), 4*cfg.Timeout)
			defer cancel()
			p.test(ctx, t, &suite{h: h, cfg: cfg, newAdapter: newAdapter})
			checkOnlyOwnExecutions(ctx, t, h)
		})
	}
}

type suite struct {
	h          *Harness
	cfg        Config
	newAdapter func(t testing.TB) sdk.Adapter
}

// run is Harness.Run with Config.Act playing whoever ends the execution.
func (s *suite) run(ctx context.Context, inputs map[string]any) (execution.BlockExecution, error) {
	id, err := s.h.Execute(ctx, s.cfg.Block, inputs)
	if err != nil {
		return execution.BlockExecution{}, err
	}
	return s.wait(ctx, id, inputs)
}

// wait lets Config.Act end execution id, if it is set, and waits for the
// end.
func (s *suite) wait(ctx context.Context, id uuid.UUID, inputs map[string]any) (execution.BlockExecution, error) {
	if s.cfg.Act != nil {
		if err := s.cfg.Act(ctx, s.h.Store, id, clone(inputs)); err != nil {
			return execution.BlockExecution{}, fmt.Errorf("plugintest: Config.Act for execution %s: %w", id, err)
		}
	}
	return s.h.Wait(ctx, id)
}

type property struct {
	name string
	test func(ctx context.Context, t *testing.T, s *suite)
}

func properties() []property {
	return []property{
		{"Describe", testDescribe},
		{"ReturnsGivenExecutionID", testReturnsGivenID},
		{"Succeeds", testSucceeds},
		{"FailsWithReason", testFails},
		{"BadInputsEndCleanly", testBadInputs},
		{"ResumeFinishedIsNoOp", testResumeFinished},
		{"ResumeInterruptedEnds", testResumeInterrupted},
		{"CancelRunning", testCancelRunning},
		{"CancelPending", testCancelPending},
		{"CancelFinishedChangesNothing", testCancelFinished},
		{"Concurrent", testConcurrent},
	}
}

func testDescribe(ctx context.Context, t *testing.T, s *suite) {
	info, err := s.h.Adapter.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if info.Name == "" {
		t.Errorf("Describe: empty name")
	}
	if len(info.Hints) == 0 {
		t.Errorf("Describe: %q serves no hints", info.Name)
	}
	if info.ProtocolVersion != sdk.ProtocolVersion {
		t.Errorf("Describe: protocol version %d, want %d", info.ProtocolVersion, sdk.ProtocolVersion)
	}
}

func testReturnsGivenID(ctx context.Context, t *testing.T, s *suite) {
	// Through the shims…
	id, err := s.h.Execute(ctx, s.cfg.Block, clone(s.cfg.Succeed))
	if err != nil {
		t.Fatalf("ExecuteBlock: %v", err)
	}
	if _, err := s.wait(ctx, id, s.cfg.Succeed); err != nil {
		t.Fatal(err)
	}
	// …and directly, where the shim cannot hide a wrong answer.
	direct := s.newAdapter(t)
	if sd, ok := direct.(sdk.Shutdowner); ok {
		t.Cleanup(func() { _ = sd.Shutdown(context.Background()) })
	}
	node := Node(s.cfg.Block)
	want, seq, err := s.h.Create(ctx, s.cfg.Block, node, clone(s.cfg.Succeed))
	if err != nil {
		t.Fatal(err)
	}
	got, err := direct.ExecuteBlock(ctx, sdk.ExecuteRequest{
		ExecutionID: want, FlowExecutionID: s.h.FlowExecutionID, Block: s.cfg.Block, Node: node,
		Inputs: clone(s.cfg.Succeed), Attempt: 1, Sequence: seq, Store: s.h.Store,
	})
	if err != nil {
		t.Fatalf("ExecuteBlock (direct): %v", err)
	}
	if got != want {
		t.Errorf("ExecuteBlock returned %s, want the execution id it was given, %s", got, want)
	}
	if _, err := s.wait(ctx, want, s.cfg.Succeed); err != nil {
		t.Fatal(err)
	}
}

func testSucceeds(ctx context.Context, t *testing.T, s *suite) {
	b, err := s.run(ctx, clone(s.cfg.Succeed))
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted {
		t.Errorf("state %s, want completed (reason %q; events %s)", b.State, b.FailureReason(), Describe(b.Events))
	}
	if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
		t.Error(err)
	}
}

func testFails(ctx context.Context, t *testing.T, s *suite) {
	b, err := s.run(ctx, clone(s.cfg.Fail))
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateFailed {
		t.Errorf("state %s, want failed (events %s)", b.State, Describe(b.Events))
	}
	if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
		t.Error(err)
	}
}

func testBadInputs(ctx context.Context, t *testing.T, s *suite) {
	mistyped := map[string]any{}
	for k := range s.cfg.Succeed {
		mistyped[k] = map[string]any{"unexpected": []any{nil, 1.5, true}}
	}
	unknown := clone(s.cfg.Succeed)
	unknown["plugintest_unknown_port"] = "value"
	cases := []struct {
		name   string
		inputs map[string]any
	}{
		{"none", map[string]any{}},
		{"nil values", nilValues(s.cfg.Succeed)},
		{"mistyped", mistyped},
		{"unknown port", unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := s.h.Execute(ctx, s.cfg.Block, c.inputs)
			if err != nil {
				// Refusing the call outright is acceptable too, if it says why.
				if err.Error() == "" {
					t.Fatalf("ExecuteBlock refused the inputs without a reason")
				}
				return
			}
			b, err := s.wait(ctx, id, c.inputs)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
				t.Error(err)
			}
			if _, err := s.h.Adapter.Describe(ctx); err != nil {
				t.Fatalf("plugin stopped answering after bad inputs: %v", err)
			}
		})
	}
}

func testResumeFinished(ctx context.Context, t *testing.T, s *suite) {
	for _, c := range []struct {
		name   string
		inputs map[string]any
	}{{"completed", s.cfg.Succeed}, {"failed", s.cfg.Fail}} {
		t.Run(c.name, func(t *testing.T) {
			b, err := s.run(ctx, clone(c.inputs))
			if err != nil {
				t.Fatal(err)
			}
			// A new adapter instance, as after a plugin restart.
			fresh := New(t, s.newAdapter(t), Options{Store: s.h.Store, Timeout: s.cfg.Timeout})
			fresh.FlowExecutionID = s.h.FlowExecutionID
			if err := fresh.Resume(ctx, b.ID, s.cfg.Block); err != nil {
				t.Fatalf("ResumeBlock on a %s execution: %v", b.State, err)
			}
			extra, err := fresh.Quiet(ctx, b.ID, uint64(len(b.Events)), s.cfg.Quiet)
			if err != nil {
				t.Fatal(err)
			}
			if len(extra) > 0 {
				t.Errorf("resuming a %s execution appended %s; want nothing", b.State, Describe(extra))
			}
		})
	}
}

func testResumeInterrupted(ctx context.Context, t *testing.T, s *suite) {
	node := Node(s.cfg.Block)
	id, _, err := s.h.Create(ctx, s.cfg.Block, node, clone(s.cfg.Succeed))
	if err != nil {
		t.Fatal(err)
	}
	previous := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "plugintest-previous-process"}
	host := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "plugintest-host"}
	interrupted := []execution.Event{
		{ExecutionID: id, EventType: execution.EventExecutorAssigned, Executor: previous},
		{ExecutionID: id, EventType: execution.EventStarted, Executor: previous},
		{ExecutionID: id, EventType: execution.EventExecutorReleased, Executor: host,
			Payload: []byte(`{"reason":"plugin process exited"}`)},
	}
	if _, err := s.h.Store.Append(ctx, interrupted, store.ExpectSequence(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Resume(ctx, id, s.cfg.Block); err != nil {
		t.Fatalf("ResumeBlock: %v", err)
	}
	b, err := s.wait(ctx, id, s.cfg.Succeed)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
		t.Error(err)
	}
}

func testCancelRunning(ctx context.Context, t *testing.T, s *suite) {
	inputs := s.cfg.Slow
	if inputs == nil {
		inputs = s.cfg.Succeed
	}
	id, err := s.h.Execute(ctx, s.cfg.Block, clone(inputs))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Cancel(ctx, id, "plugintest cancels"); err != nil && !errors.Is(err, store.ErrFinal) {
		t.Fatalf("CancelBlock: %v", err)
	}
	b, err := s.h.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Slow != nil && b.State != execution.StateCancelled {
		t.Errorf("a slow execution cancelled while running ended %s, want cancelled (events %s)", b.State, Describe(b.Events))
	}
	if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
		t.Error(err)
	}
}

func testCancelPending(ctx context.Context, t *testing.T, s *suite) {
	id, _, err := s.h.Create(ctx, s.cfg.Block, Node(s.cfg.Block), clone(s.cfg.Succeed))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Cancel(ctx, id, "plugintest cancels before it runs"); err != nil {
		t.Fatalf("CancelBlock: %v", err)
	}
	b, err := s.h.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCancelled {
		t.Errorf("a pending execution cancelled ended %s, want cancelled", b.State)
	}
	if err := CheckLifecycle(s.cfg.Block, b.Events); err != nil {
		t.Error(err)
	}
}

func testCancelFinished(ctx context.Context, t *testing.T, s *suite) {
	b, err := s.run(ctx, clone(s.cfg.Succeed))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Cancel(ctx, b.ID, "too late"); err != nil && !errors.Is(err, store.ErrFinal) {
		t.Errorf("CancelBlock on a finished execution: %v (want nil or store.ErrFinal)", err)
	}
	after, err := s.h.Block(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != b.State {
		t.Errorf("cancelling a %s execution changed it to %s", b.State, after.State)
	}
}

func testConcurrent(ctx context.Context, t *testing.T, s *suite) {
	var wg sync.WaitGroup
	results := make([]execution.BlockExecution, s.cfg.Concurrency)
	errs := make([]error, s.cfg.Concurrency)
	for i := range s.cfg.Concurrency {
		wg.Go(func() {
			inputs := s.cfg.Succeed
			if i%2 == 1 {
				inputs = s.cfg.Fail
			}
			results[i], errs[i] = s.run(ctx, clone(inputs))
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Errorf("execution %d: %v", i, errs[i])
			continue
		}
		want := execution.StateCompleted
		if i%2 == 1 {
			want = execution.StateFailed
		}
		if results[i].State != want {
			t.Errorf("execution %d ended %s, want %s (reason %q)", i, results[i].State, want, results[i].FailureReason())
		}
		if err := CheckLifecycle(s.cfg.Block, results[i].Events); err != nil {
			t.Error(err)
		}
	}
}

// checkOnlyOwnExecutions fails the test if the store holds an execution
// the harness did not create: the adapter wrote somewhere it was not sent.
func checkOnlyOwnExecutions(ctx context.Context, t *testing.T, h *Harness) {
	infos, err := h.Store.ListExecutions(ctx, store.Filter{})
	if err != nil {
		t.Errorf("list executions: %v", err)
		return
	}
	for _, info := range infos {
		if info.Parent != h.FlowExecutionID {
			t.Errorf("the store holds execution %s (%s), which the harness did not create", info.ID, info.Kind)
		}
	}
}

func clone(m map[string]any) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

func nilValues(m map[string]any) map[string]any {
	out := map[string]any{}
	for k := range m {
		out[k] = nil
	}
	return out
}
