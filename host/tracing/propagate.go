package tracing

import (
	"context"
	"sync"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Roots finds the top-level execution (the trace) an execution belongs
// to, by its parents in the store, remembering what it found: a run's
// blocks share their flow's answer.
type Roots struct {
	store store.EventStore
	mu    sync.Mutex
	known map[uuid.UUID]uuid.UUID
}

// rootsLimit bounds the memory of Roots; past it the cache starts over.
const rootsLimit = 100_000

// NewRoots looks parents up in s.
func NewRoots(s store.EventStore) *Roots {
	return &Roots{store: s, known: map[uuid.UUID]uuid.UUID{}}
}

// Root returns the top-level execution above id (id itself when it has no
// parent, or when the store cannot say).
func (r *Roots) Root(ctx context.Context, id uuid.UUID) uuid.UUID {
	var path []uuid.UUID
	cur := id
	for range 16 { // contracts nest sub-contracts; 16 levels is far beyond any real one
		r.mu.Lock()
		root, ok := r.known[cur]
		r.mu.Unlock()
		if ok {
			cur = root
			break
		}
		info, err := r.store.Execution(ctx, cur)
		if err != nil {
			return cur // not cached: a store hiccup must not pin a wrong trace
		}
		if info.Parent == uuid.Nil {
			break
		}
		path = append(path, cur)
		cur = info.Parent
	}
	r.mu.Lock()
	if len(r.known) > rootsLimit {
		clear(r.known)
	}
	for _, p := range path {
		r.known[p] = cur
	}
	r.mu.Unlock()
	return cur
}

// Adapter wraps a so that each call about a block carries the W3C
// traceparent of the block's span in its gRPC metadata; the sdk hands it
// to the plugin's code as the parent of its own spans.
func Adapter(a sdk.Adapter, roots *Roots) sdk.Adapter { return tracedAdapter{a, roots} }

type tracedAdapter struct {
	sdk.Adapter
	roots *Roots
}

func (t tracedAdapter) with(ctx context.Context, parent, block uuid.UUID) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "traceparent", TraceParent(t.roots.Root(ctx, parent), block))
}

func (t tracedAdapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	return t.Adapter.ExecuteBlock(t.with(ctx, req.FlowExecutionID, req.ExecutionID), req)
}

func (t tracedAdapter) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	return t.Adapter.ResumeBlock(t.with(ctx, req.FlowExecutionID, req.ExecutionID), req)
}

func (t tracedAdapter) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	return t.Adapter.CancelBlock(t.with(ctx, req.ExecutionID, req.ExecutionID), req)
}
