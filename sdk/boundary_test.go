package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// fakeAdapter has one func field per method, so each test states only the
// behaviour it needs.
type fakeAdapter struct {
	execute  func(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error)
	resume   func(ctx context.Context, req sdk.ResumeRequest) error
	cancel   func(ctx context.Context, req sdk.CancelRequest) error
	evaluate func(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error)
}

func (f *fakeAdapter) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "fake", Version: "0", Hints: []string{"fake"}}, nil
}

func (f *fakeAdapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	if f.execute == nil {
		return req.ExecutionID, nil
	}
	return f.execute(ctx, req)
}

func (f *fakeAdapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	if f.resume == nil {
		return nil
	}
	return f.resume(ctx, req)
}

func (f *fakeAdapter) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	if f.cancel == nil {
		return nil
	}
	return f.cancel(ctx, req)
}

func (f *fakeAdapter) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
	if f.evaluate == nil {
		return sdk.ConditionResult{}, sdk.ErrUnsupported
	}
	return f.evaluate(ctx, req)
}

// TestErrorsKeepIdentityAcrossTheWire returns each sentinel from the
// plugin and checks that the host's errors.Is still recognises it.
func TestErrorsKeepIdentityAcrossTheWire(t *testing.T) {
	sentinels := []error{
		store.ErrNotFound, store.ErrConflict, store.ErrFinal, store.ErrInvalid, store.ErrClosed,
		sdk.ErrNotGranted, sdk.ErrMalformedRequest, sdk.ErrUnsupported, sdk.ErrUnavailable,
		sdk.ErrUndeclaredOutput, sdk.ErrMissingOutput, sdk.ErrWrongExecution, sdk.ErrNoPredicate,
		context.Canceled, context.DeadlineExceeded,
	}
	var current error
	h := plugintest.New(t, &fakeAdapter{execute: func(context.Context, sdk.ExecuteRequest) (uuid.UUID, error) {
		return uuid.Nil, current
	}}, plugintest.Options{})
	for _, sentinel := range sentinels {
		t.Run(sentinel.Error(), func(t *testing.T) {
			current = fmt.Errorf("adapter context: %w", sentinel)
			_, err := h.Execute(context.Background(), echoBlock(), map[string]any{"message": "x"})
			if !errors.Is(err, sentinel) {
				t.Fatalf("host got %v; errors.Is(err, %q) is false", err, sentinel)
			}
			if !strings.Contains(err.Error(), "adapter context") {
				t.Errorf("host error %q lost the plugin's message", err)
			}
		})
	}
	t.Run("ErrNotGranted is also ErrInvalid", func(t *testing.T) {
		current = sdk.ErrNotGranted
		_, err := h.Execute(context.Background(), echoBlock(), map[string]any{"message": "x"})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("host got %v; want it to match store.ErrInvalid too", err)
		}
	})
	t.Run("plain error keeps its text", func(t *testing.T) {
		current = errors.New("disk on fire")
		_, err := h.Execute(context.Background(), echoBlock(), map[string]any{"message": "x"})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("host got %v", err)
		}
	})
}

// TestMalformedRequestsAreRefused sends requests no host would send,
// straight to the plugin's gRPC service, and checks each is refused with a
// clear error while the plugin keeps serving.
func TestMalformedRequestsAreRefused(t *testing.T) {
	called := false
	impl := &fakeAdapter{execute: func(_ context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
		called = true
		return req.ExecutionID, nil
	}}
	client, server := plugin.TestPluginGRPCConn(t, false, plugin.PluginSet{sdk.PluginName: &sdk.AdapterPlugin{Impl: impl}})
	t.Cleanup(func() { server.Stop(); _ = client.Close() })
	rpc := pluginproto.NewAdapterClient(client.Conn)
	block := []byte(`{"id":"` + uuid.NewString() + `","version":1,"name":"b","description":"","inputs":[],"outputs":[],"execution_hints":[],"metadata":{}}`)
	node := []byte(`{"id":"` + uuid.NewString() + `","target_id":"` + uuid.NewString() + `","target_version":1,"alias":null,"metadata":{}}`)
	valid := func() *pluginproto.ExecuteBlockRequest {
		return &pluginproto.ExecuteBlockRequest{
			ExecutionId: uuid.NewString(), Block: block, Node: node, Inputs: []byte(`{}`), StoreBrokerId: 0,
		}
	}
	cases := []struct {
		name  string
		edit  func(r *pluginproto.ExecuteBlockRequest)
		field string
	}{
		{"bad execution id", func(r *pluginproto.ExecuteBlockRequest) { r.ExecutionId = "not-a-uuid" }, "execution_id"},
		{"no execution id", func(r *pluginproto.ExecuteBlockRequest) { r.ExecutionId = "" }, "execution_id"},
		{"bad flow execution id", func(r *pluginproto.ExecuteBlockRequest) { r.FlowExecutionId = "x" }, "flow_execution_id"},
		{"block not JSON", func(r *pluginproto.ExecuteBlockRequest) { r.Block = []byte(`{"name": `) }, "block"},
		{"block wrong shape", func(r *pluginproto.ExecuteBlockRequest) { r.Block = []byte(`[1,2]`) }, "block"},
		{"no block", func(r *pluginproto.ExecuteBlockRequest) { r.Block = nil }, "block"},
		{"node not JSON", func(r *pluginproto.ExecuteBlockRequest) { r.Node = []byte(`nope`) }, "node"},
		{"inputs not an object", func(r *pluginproto.ExecuteBlockRequest) { r.Inputs = []byte(`[1]`) }, "inputs"},
		{"no store", func(r *pluginproto.ExecuteBlockRequest) {}, "store_broker_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := valid()
			c.edit(req)
			_, err := rpc.ExecuteBlock(context.Background(), req)
			st, _ := status.FromError(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("got %v, want InvalidArgument", err)
			}
			if !strings.Contains(st.Message(), c.field) || !strings.Contains(st.Message(), "malformed") {
				t.Errorf("message %q does not name the field %q", st.Message(), c.field)
			}
			if reason := detailReason(st); reason != "MALFORMED_REQUEST" {
				t.Errorf("detail reason %q, want MALFORMED_REQUEST", reason)
			}
		})
	}
	if called {
		t.Errorf("the adapter was called with a malformed request")
	}
	if _, err := rpc.Describe(context.Background(), &pluginproto.DescribeRequest{}); err != nil {
		t.Errorf("the plugin stopped serving after malformed requests: %v", err)
	}
	t.Run("condition without a decision", func(t *testing.T) {
		// A plugin built from another SDK that answers without a decision is
		// a protocol error on the host's side, not a silent false.
		_, err := rpc.EvaluateCondition(context.Background(), &pluginproto.EvaluateConditionRequest{RequestId: "x"})
		if st, _ := status.FromError(err); st.Code() != codes.InvalidArgument {
			t.Errorf("bad request id: got %v, want InvalidArgument", err)
		}
	})
}

func detailReason(st *status.Status) string {
	for _, d := range st.Details() {
		if e, ok := d.(*pluginproto.ErrorDetail); ok {
			return e.GetReason()
		}
	}
	return ""
}

func TestHostRefusesBadRequestsLocally(t *testing.T) {
	h := plugintest.New(t, &fakeAdapter{}, plugintest.Options{})
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
	}{
		{"execute without id", func() error {
			_, err := h.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{Store: h.Store})
			return err
		}},
		{"execute without store", func() error {
			_, err := h.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: uuid.New()})
			return err
		}},
		{"inputs that are not JSON", func() error {
			_, err := h.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: uuid.New(), Store: h.Store,
				Inputs: map[string]any{"ch": make(chan int)}})
			return err
		}},
		{"resume without store", func() error {
			return h.Adapter.ResumeBlock(ctx, sdk.ResumeRequest{ExecutionID: uuid.New()})
		}},
		{"cancel without id", func() error {
			return h.Adapter.CancelBlock(ctx, sdk.CancelRequest{Store: h.Store})
		}},
		{"condition without request id", func() error {
			_, err := h.Adapter.EvaluateCondition(ctx, sdk.ConditionRequest{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !errors.Is(err, sdk.ErrMalformedRequest) {
				t.Errorf("got %v, want ErrMalformedRequest", err)
			}
		})
	}
}

func TestPanickingAdapterDoesNotKillThePlugin(t *testing.T) {
	h := plugintest.New(t, &fakeAdapter{execute: func(context.Context, sdk.ExecuteRequest) (uuid.UUID, error) {
		var m map[string]int
		m["boom"]++ // nil map write
		return uuid.Nil, nil
	}}, plugintest.Options{})
	_, err := h.Execute(context.Background(), echoBlock(), map[string]any{"message": "x"})
	if err == nil || !strings.Contains(err.Error(), "panicked in ExecuteBlock") {
		t.Fatalf("got %v, want an error saying the adapter panicked", err)
	}
	if _, err := h.Adapter.Describe(context.Background()); err != nil {
		t.Errorf("the plugin stopped answering after a panic: %v", err)
	}
}

func TestPanickingWorkFailsTheBlock(t *testing.T) {
	impl := &fakeAdapter{}
	var tasks sdk.Tasks
	impl.execute = func(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
		em := req.Emitter(sdk.System("fake"))
		tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) {
			_ = em.Run(ctx, func(context.Context) (map[string]any, error) { panic("work exploded") })
		})
		return req.ExecutionID, nil
	}
	h := plugintest.New(t, impl, plugintest.Options{})
	b, err := h.Run(context.Background(), echoBlock(), map[string]any{"message": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateFailed || !strings.Contains(b.FailureReason(), "work exploded") {
		t.Errorf("state %s reason %q, want failed saying the work panicked", b.State, b.FailureReason())
	}
}

// TestPluginWritesOnlyWhereItWasSent: the host's store refuses a plugin's
// writes to executions it was not given, on the host's side of the wire.
func TestPluginWritesOnlyWhereItWasSent(t *testing.T) {
	other := uuid.New()
	attempts := make(chan error, 4)
	impl := &fakeAdapter{execute: func(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
		for _, target := range []uuid.UUID{other, req.FlowExecutionID} {
			ev, _ := execution.NewEvent(target, execution.EventProgress, nil, map[string]any{"sneaky": true})
			_, err := req.Store.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
			attempts <- err
		}
		// Its own execution is fine.
		attempts <- req.Emitter(sdk.System("fake")).Finish(ctx, map[string]any{"message": "ok"})
		return req.ExecutionID, nil
	}}
	h := plugintest.New(t, impl, plugintest.Options{})
	ctx := context.Background()
	// Give "other" a log, so the refusal is not just "not found".
	otherReq := newExecution(t, h.Store, echoBlock(), nil)
	other = otherReq.ExecutionID
	if _, err := h.Execute(ctx, echoBlock(), map[string]any{"message": "x"}); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"another block execution", "the flow execution"} {
		err := <-attempts
		if !errors.Is(err, sdk.ErrNotGranted) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("append to %s: got %v, want ErrNotGranted (and store.ErrInvalid)", what, err)
		}
	}
	if err := <-attempts; err != nil {
		t.Errorf("append to its own execution: %v", err)
	}
	events, _ := h.Store.Events(ctx, other, 0)
	if len(events) != 1 {
		t.Errorf("the other execution has %d events, want only its created", len(events))
	}
}

// TestDeferredConditionDecision: a plugin answers Pending, then records the
// decision on the flow execution's log — once.
func TestDeferredConditionDecision(t *testing.T) {
	decided := make(chan error, 2)
	impl := &fakeAdapter{evaluate: func(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
		go func() {
			ctx := context.WithoutCancel(ctx)
			decided <- req.Decide(ctx, true, "approved by Ann", sdk.Human("ann"))
			decided <- req.Decide(ctx, false, "changed my mind", sdk.Human("ann"))
		}()
		return sdk.ConditionResult{Pending: true, Reason: "waiting for Ann"}, nil
	}}
	h := plugintest.New(t, impl, plugintest.Options{})
	ctx := context.Background()
	flow := uuid.New()
	created, _ := execution.NewEvent(flow, execution.EventCreated, nil, execution.Created{Kind: execution.KindFlow, FlowID: uuid.New(), FlowVersion: 1})
	if _, err := h.Store.Append(ctx, []execution.Event{created}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	reqID, source := uuid.New(), uuid.New()
	res, err := h.Adapter.EvaluateCondition(ctx, sdk.ConditionRequest{
		RequestID: reqID, FlowExecutionID: flow, EdgeIndex: 3, SourceExecutionID: source,
		Condition: core.Condition{Description: "Ann approves the launch"}, Store: h.Store,
	})
	if err != nil || !res.Pending || res.Reason != "waiting for Ann" {
		t.Fatalf("EvaluateCondition = %+v, %v; want pending", res, err)
	}
	if err := <-decided; err != nil {
		t.Fatalf("first decision: %v", err)
	}
	if err := <-decided; !errors.Is(err, sdk.ErrNotGranted) {
		t.Errorf("second decision for the same request: %v, want ErrNotGranted", err)
	}
	events, _ := h.Store.Events(ctx, flow, 1)
	if len(events) != 1 {
		t.Fatalf("flow log has %d events after created, want 1 decision", len(events))
	}
	var d execution.ConditionDecision
	if err := events[0].DecodePayload(&d); err != nil {
		t.Fatal(err)
	}
	if d.Type != execution.ProgressConditionDecision || d.RequestID != reqID || !d.Value ||
		d.EdgeIndex != 3 || d.SourceExecutionID != source || d.DecidedBy == nil || d.DecidedBy.Identifier != "ann" {
		t.Errorf("decision %+v does not record the request, edge, value and decider", d)
	}
}

func TestConditionAnswersCrossTheWire(t *testing.T) {
	cases := []struct {
		name string
		res  sdk.ConditionResult
		err  error
	}{
		{"true", sdk.ConditionResult{Value: true, Reason: "yes"}, nil},
		{"false", sdk.ConditionResult{Value: false, Reason: "no"}, nil},
		{"pending", sdk.ConditionResult{Pending: true}, nil},
		{"unsupported", sdk.ConditionResult{}, sdk.ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := plugintest.New(t, &fakeAdapter{evaluate: func(context.Context, sdk.ConditionRequest) (sdk.ConditionResult, error) {
				return c.res, c.err
			}}, plugintest.Options{})
			got, err := h.Adapter.EvaluateCondition(context.Background(), sdk.ConditionRequest{
				RequestID: uuid.New(), Condition: core.Condition{Description: "d"},
				Context: sdk.ConditionContext{FlowInputs: map[string]any{"a": 1.0}},
			})
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err == nil && got != c.res {
				t.Errorf("got %+v, want %+v", got, c.res)
			}
		})
	}
}

// TestExecuteBlockReturnsBeforeTheWorkEnds: a block that works for a
// minute does not hold the host's call.
func TestExecuteBlockReturnsBeforeTheWorkEnds(t *testing.T) {
	h := plugintest.New(t, testadapter.NewEcho(), plugintest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), plugintest.DefaultTimeout)
	defer cancel()
	id, err := h.Execute(ctx, echoBlock(), map[string]any{"message": "x", "sleep": "1m"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Block(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.State.IsTerminal() {
		t.Fatalf("a one-minute block already ended: %s", b.State)
	}
	if err := h.Cancel(ctx, id, "test over"); err != nil {
		t.Fatal(err)
	}
	if b, err = h.Wait(ctx, id); err != nil || b.State != execution.StateCancelled || b.FailureReason() != "test over" {
		t.Errorf("after cancel: %s %q %v, want cancelled with the reason", b.State, b.FailureReason(), err)
	}
}

func TestClosedHostStoreIsErrClosedOnThePluginSide(t *testing.T) {
	s := memory.New()
	seen := make(chan error, 1)
	impl := &fakeAdapter{execute: func(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
		_, err := req.Store.LatestEvent(ctx, req.ExecutionID)
		seen <- err
		return req.ExecutionID, nil
	}}
	h := plugintest.New(t, impl, plugintest.Options{Store: s})
	_ = s.Close()
	_, err := h.Adapter.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: uuid.New(), Block: echoBlock(), Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-seen; !errors.Is(err, store.ErrClosed) {
		t.Errorf("plugin reading a closed host store: %v, want store.ErrClosed", err)
	}
}
