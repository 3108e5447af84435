package tracing

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// seenAdapter records the traceparent each call carried.
type seenAdapter struct {
	sdk.Adapter
	seen []string
}

func (a *seenAdapter) record(ctx context.Context) {
	md, _ := metadata.FromOutgoingContext(ctx)
	a.seen = append(a.seen, md.Get("traceparent")...)
}

func (a *seenAdapter) ExecuteBlock(ctx context.Context, _ sdk.ExecuteRequest) (uuid.UUID, error) {
	a.record(ctx)
	return uuid.Nil, nil
}

func (a *seenAdapter) ResumeBlock(ctx context.Context, _ sdk.ResumeRequest) error {
	a.record(ctx)
	return nil
}

func (a *seenAdapter) CancelBlock(ctx context.Context, _ sdk.CancelRequest) error {
	a.record(ctx)
	return nil
}

// Each call about a block carries the traceparent of the block's span in
// the trace of its top-level run, found through the store's parents.
func TestAdapterCarriesTraceParent(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	contract, flow, block := uuid.New(), uuid.New(), uuid.New()
	for _, e := range []execution.Event{
		ev(t, contract, execution.EventCreated, execution.Created{Kind: execution.KindContract}, timeZero),
		ev(t, flow, execution.EventCreated, execution.Created{Kind: execution.KindFlow, ParentExecutionID: contract}, timeZero),
		ev(t, block, execution.EventCreated, execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow}, timeZero),
	} {
		if _, err := s.Append(ctx, []execution.Event{e}, store.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	inner := &seenAdapter{}
	a := Adapter(inner, NewRoots(s))
	if _, err := a.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: block, FlowExecutionID: flow}); err != nil {
		t.Fatal(err)
	}
	if err := a.ResumeBlock(ctx, sdk.ResumeRequest{ExecutionID: block, FlowExecutionID: flow}); err != nil {
		t.Fatal(err)
	}
	if err := a.CancelBlock(ctx, sdk.CancelRequest{ExecutionID: block}); err != nil {
		t.Fatal(err)
	}
	want := TraceParent(contract, block)
	if len(inner.seen) != 3 {
		t.Fatalf("traceparents %v, want one per call", inner.seen)
	}
	for i, got := range inner.seen {
		if got != want {
			t.Errorf("call %d: traceparent %s, want %s (the contract's trace, the block's span)", i, got, want)
		}
	}
}
