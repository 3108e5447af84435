package plugintest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// DefaultTimeout bounds every wait of the harness. It is not a performance
// assertion: it turns a block that never ends into a clear failure instead
// of a hung test.
const DefaultTimeout = 10 * time.Second

// Options adjust a Harness.
type Options struct {
	// Store is the host's store; a fresh memory store when nil.
	Store store.EventStore
	// Logger receives the plugin's log; by default it goes to t.Log.
	Logger hclog.Logger
	// AllowAnyExecution lifts the rule that the plugin may only write to the
	// executions it was given (see sdk.AdapterPlugin).
	AllowAnyExecution bool
	// Timeout bounds Wait; DefaultTimeout when zero.
	Timeout time.Duration
}

// Harness runs an adapter behind the real gRPC shims, in-process, the way
// a host runs a plugin: Adapter is the host's side of the connection, so
// every call and every event crosses the wire as it would between two
// processes, against a host store the test can inspect.
type Harness struct {
	t testing.TB
	// Adapter is the host-side adapter: calls go through the gRPC shims to
	// the implementation under test.
	Adapter sdk.Adapter
	// Store is the host's store, which the plugin reaches over the broker.
	Store store.EventStore
	// FlowExecutionID is the flow execution the harness's blocks belong to.
	FlowExecutionID uuid.UUID

	impl    sdk.Adapter
	timeout time.Duration
}

// New serves impl over go-plugin's in-process gRPC connection and returns
// the harness; everything is closed when the test ends (and impl's
// Shutdown called, if it has one).
func New(t testing.TB, impl sdk.Adapter, opts Options) *Harness {
	t.Helper()
	if opts.Store == nil {
		opts.Store = memory.New()
		t.Cleanup(func() { _ = opts.Store.Close() })
	}
	if opts.Logger == nil {
		opts.Logger = TestLogger(t)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	set := plugin.PluginSet{sdk.PluginName: &sdk.AdapterPlugin{
		Impl:              impl,
		Logger:            opts.Logger,
		HostLogger:        opts.Logger.Named("host"),
		AllowAnyExecution: opts.AllowAnyExecution,
	}}
	client, server := plugin.TestPluginGRPCConn(t, false, set)
	raw, err := client.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatalf("plugintest: dispense: %v", err)
	}
	t.Cleanup(func() {
		if s, ok := impl.(sdk.Shutdowner); ok {
			ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("plugintest: adapter shutdown: %v", err)
			}
		}
		// Stop the server first: client.Close asks a live server to stop
		// itself, and go-plugin's Stop is not safe to run twice at once.
		server.Stop()
		_ = client.Close()
	})
	return &Harness{
		t:               t,
		Adapter:         raw.(sdk.Adapter),
		Store:           opts.Store,
		FlowExecutionID: uuid.New(),
		impl:            impl,
		timeout:         opts.Timeout,
	}
}

// Node returns a node slot that points at block.
func Node(block core.WorkBlock) core.NodeReference {
	return core.NodeReference{ID: uuid.New(), TargetID: block.ID, TargetVersion: block.Version, Alias: block.Name}
}

// Create does what the host does before it asks a plugin to execute a
// block: it appends the execution's created event (attempt 1) and returns
// the new execution's id and the created event's sequence.
func (h *Harness) Create(ctx context.Context, block core.WorkBlock, node core.NodeReference, inputs map[string]any) (uuid.UUID, uint64, error) {
	id := uuid.New()
	ev, err := execution.NewEvent(id, execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "plugintest-host"}, execution.Created{
		Kind:             execution.KindBlock,
		FlowExecutionID:  h.FlowExecutionID,
		NodeReferenceID:  node.ID,
		WorkBlockID:      block.ID,
		WorkBlockVersion: block.Version,
		Inputs:           inputs,
		Attempt:          1,
	})
	if err != nil {
		return uuid.Nil, 0, err
	}
	stored, err := h.Store.Append(ctx, []execution.Event{ev}, store.ExpectSequence(0))
	if err != nil {
		return uuid.Nil, 0, fmt.Errorf("plugintest: append created: %w", err)
	}
	return id, stored[0].Sequence, nil
}

// Execute creates a block execution and asks the adapter to run it, as the
// host does; it returns the id ExecuteBlock answered with.
func (h *Harness) Execute(ctx context.Context, block core.WorkBlock, inputs map[string]any) (uuid.UUID, error) {
	node := Node(block)
	id, seq, err := h.Create(ctx, block, node, inputs)
	if err != nil {
		return uuid.Nil, err
	}
	return h.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{
		ExecutionID:     id,
		FlowExecutionID: h.FlowExecutionID,
		Block:           block,
		Node:            node,
		Inputs:          inputs,
		Attempt:         1,
		Sequence:        seq,
		Store:           h.Store,
	})
}

// Run executes block and waits for it to end.
func (h *Harness) Run(ctx context.Context, block core.WorkBlock, inputs map[string]any) (execution.BlockExecution, error) {
	id, err := h.Execute(ctx, block, inputs)
	if err != nil {
		return execution.BlockExecution{}, err
	}
	return h.Wait(ctx, id)
}

// Resume asks the adapter to resume an execution.
func (h *Harness) Resume(ctx context.Context, id uuid.UUID, block core.WorkBlock) error {
	return h.Adapter.ResumeBlock(ctx, sdk.ResumeRequest{
		ExecutionID:     id,
		FlowExecutionID: h.FlowExecutionID,
		Block:           block,
		Node:            Node(block),
		Store:           h.Store,
	})
}

// Cancel asks the adapter to cancel an execution.
func (h *Harness) Cancel(ctx context.Context, id uuid.UUID, reason string) error {
	return h.Adapter.CancelBlock(ctx, sdk.CancelRequest{ExecutionID: id, Reason: reason, Store: h.Store})
}

// Wait follows the execution's log until a terminal event arrives (or the
// harness's timeout passes) and returns its projection.
func (h *Harness) Wait(ctx context.Context, id uuid.UUID) (execution.BlockExecution, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	sub, err := h.Store.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		return execution.BlockExecution{}, fmt.Errorf("plugintest: subscribe: %w", err)
	}
	defer func() { _ = sub.Close() }()
	for {
		ev, err := sub.Next(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			b, _ := h.Block(context.Background(), id)
			return b, fmt.Errorf("plugintest: execution %s did not end within %s (state %s, events: %s)", id, h.timeout, b.State, Describe(b.Events))
		}
		if err != nil {
			return execution.BlockExecution{}, fmt.Errorf("plugintest: follow execution %s: %w", id, err)
		}
		if ev.EventType.IsTerminal() {
			return h.Block(ctx, id)
		}
	}
}

// Block returns the projection of an execution's log as it is now.
func (h *Harness) Block(ctx context.Context, id uuid.UUID) (execution.BlockExecution, error) {
	events, err := h.Store.Events(ctx, id, 0)
	if err != nil {
		return execution.BlockExecution{}, err
	}
	return execution.ProjectBlock(events)
}

// Quiet reports the events appended to the execution during d: it is how a
// test shows that something (a resume of a finished block) did nothing.
func (h *Harness) Quiet(ctx context.Context, id uuid.UUID, after uint64, d time.Duration) ([]execution.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sub, err := h.Store.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id, After: after})
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Close() }()
	var got []execution.Event
	for {
		ev, err := sub.Next(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, ev)
	}
}

// Describe renders a log compactly for failure messages:
// "1:created 2:executor_assigned 3:started …".
func Describe(events []execution.Event) string {
	s := ""
	for i, ev := range events {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%s", ev.Sequence, ev.EventType)
	}
	return s
}

// TestLogger returns an hclog logger that writes to t.Log until the test
// ends (a plugin goroutine that logs later is silenced rather than
// panicking the test binary).
func TestLogger(t testing.TB) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	return hclog.New(&hclog.LoggerOptions{
		Name:   "plugin",
		Level:  hclog.Debug,
		Output: w,
	})
}

type testWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
