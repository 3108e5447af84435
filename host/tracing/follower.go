package tracing

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/logfollow"
	"github.com/openoma/openoma/store"
)

// Follower turns the event log into spans.
type Follower struct {
	catalog  *core.Catalog
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer

	mu   sync.Mutex
	open map[uuid.UUID]started
}

// started is what the follower keeps of an execution until it ends.
type started struct {
	kind   execution.Kind
	at     time.Time
	parent uuid.UUID // uuid.Nil: a top-level run
	root   uuid.UUID
	name   string
	flow   *core.Flow // of a flow execution, when the definitions know it
	attrs  []attribute.KeyValue
}

// NewFollower exports through exporter, batching unless sync is set (tests).
func NewFollower(cat *core.Catalog, exporter sdktrace.SpanExporter, res *Resource, sync bool) *Follower {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithIDGenerator(fixedIDs{}), sdktrace.WithSampler(sdktrace.AlwaysSample())}
	if sync {
		opts = append(opts, sdktrace.WithSyncer(exporter))
	} else {
		opts = append(opts, sdktrace.WithBatcher(exporter))
	}
	if res != nil {
		opts = append(opts, sdktrace.WithResource(res.r))
	}
	p := sdktrace.NewTracerProvider(opts...)
	return &Follower{catalog: cat, provider: p, tracer: p.Tracer("github.com/openoma/openoma/host"), open: map[uuid.UUID]started{}}
}

// Shutdown flushes and stops the exporter.
func (f *Follower) Shutdown(ctx context.Context) error { return f.provider.Shutdown(ctx) }

// Run follows the store from where its log ends now until ctx is done,
// first remembering the executions open at that moment.
func (f *Follower) Run(ctx context.Context, s store.EventStore) error {
	err := logfollow.Follow(ctx, s, func(ctx context.Context) error { return f.seed(ctx, s) }, f.Observe)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	return nil
}

// seed remembers the open executions, parents before children, so that
// their spans, and their children's, end in the right trace.
func (f *Follower) seed(ctx context.Context, s store.EventStore) error {
	open, err := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
	if err != nil {
		return fmt.Errorf("tracing: open executions: %w", err)
	}
	// Parents before children: a child's root is its parent's.
	byID := map[uuid.UUID]store.ExecutionInfo{}
	for _, info := range open {
		byID[info.ID] = info
	}
	var visit func(id uuid.UUID)
	visit = func(id uuid.UUID) {
		info, ok := byID[id]
		if !ok {
			return
		}
		delete(byID, id)
		if info.Parent != uuid.Nil {
			visit(info.Parent)
		}
		evs, err := s.Events(ctx, id, 0)
		if err == nil && len(evs) > 0 && evs[0].EventType == execution.EventCreated {
			f.Observe(evs[0])
		}
	}
	for _, info := range open {
		visit(info.ID)
	}
	return nil
}

// Observe handles one event; events must arrive in log order.
func (f *Follower) Observe(ev execution.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case ev.EventType == execution.EventCreated:
		if _, seen := f.open[ev.ExecutionID]; !seen {
			f.remember(ev)
		}
	case ev.EventType.IsTerminal():
		x, ok := f.open[ev.ExecutionID]
		if !ok {
			return
		}
		delete(f.open, ev.ExecutionID)
		f.end(ev, x)
	}
}

func (f *Follower) remember(ev execution.Event) {
	var c execution.Created
	if json.Unmarshal(ev.Payload, &c) != nil {
		return
	}
	switch c.Kind {
	case execution.KindBlock, execution.KindFlow, execution.KindContract:
	default:
		return // other records kept as executions (schedules) are not work
	}
	x := started{kind: c.Kind, at: ev.Timestamp, root: ev.ExecutionID}
	x.attrs = []attribute.KeyValue{
		attribute.String("openoma.execution_id", ev.ExecutionID.String()),
		attribute.String("openoma.kind", string(c.Kind)),
	}
	switch c.Kind {
	case execution.KindBlock:
		x.parent = c.FlowExecutionID
		x.name = f.blockName(c)
		x.attrs = append(x.attrs, attribute.Int("openoma.attempt", max(c.Attempt, 1)), attribute.Int("openoma.iteration", max(c.Iteration, 1)))
		if c.Index != nil {
			x.attrs = append(x.attrs, attribute.Int("openoma.item", *c.Index))
		}
		if plugin, ok := ev.Metadata["plugin"].(string); ok {
			x.attrs = append(x.attrs, attribute.String("openoma.plugin", plugin))
		}
	case execution.KindFlow:
		x.parent = c.ParentExecutionID
		x.name = "flow " + c.FlowID.String()
		if fl, ok := f.catalogFlow(c.FlowID, c.FlowVersion); ok {
			x.name, x.flow = "flow "+fl.Name, fl
		}
		x.attrs = append(x.attrs, attribute.Int("openoma.version", c.FlowVersion))
		if c.Role != "" {
			x.attrs = append(x.attrs, attribute.String("openoma.role", string(c.Role)))
		}
	case execution.KindContract:
		x.parent = c.ParentExecutionID
		x.name = "contract " + c.ContractID.String()
		if f.catalog != nil {
			if k, ok := f.catalog.Contract(c.ContractID, c.ContractVersion); ok {
				x.name = "contract " + k.Name
			}
		}
		x.attrs = append(x.attrs, attribute.Int("openoma.version", c.ContractVersion))
	}
	if p, ok := f.open[x.parent]; ok {
		x.root = p.root
	}
	f.open[ev.ExecutionID] = x
}

func (f *Follower) catalogFlow(id uuid.UUID, version int) (*core.Flow, bool) {
	if f.catalog == nil {
		return nil, false
	}
	return f.catalog.Flow(id, version)
}

// blockName is "block <alias> (<block>)" when the definitions know them;
// the caller holds f.mu.
func (f *Follower) blockName(c execution.Created) string {
	alias, block := c.NodeReferenceID.String()[:8], c.WorkBlockID.String()[:8]
	if f.catalog != nil {
		if b, ok := f.catalog.WorkBlock(c.WorkBlockID, c.WorkBlockVersion); ok {
			block = b.Name
		}
	}
	if fl := f.open[c.FlowExecutionID].flow; fl != nil {
		for _, n := range fl.Nodes {
			if n.ID == c.NodeReferenceID && n.Alias != "" {
				alias = n.Alias
			}
		}
	}
	return "block " + alias + " (" + block + ")"
}

func (f *Follower) end(ev execution.Event, x started) {
	ctx := withIDs(context.Background(), x.root, ev.ExecutionID)
	if x.parent != uuid.Nil {
		ctx = trace.ContextWithRemoteSpanContext(ctx, SpanContext(x.root, x.parent))
	}
	state := execution.StateOf(ev.EventType)
	_, span := f.tracer.Start(ctx, x.name, trace.WithTimestamp(x.at), trace.WithAttributes(x.attrs...),
		trace.WithAttributes(attribute.String("openoma.state", string(state))))
	var fail execution.Failure
	if json.Unmarshal(ev.Payload, &fail) == nil && fail.Reason != "" {
		span.SetAttributes(attribute.String("openoma.reason", fail.Reason))
	}
	if state == execution.StateFailed {
		span.SetStatus(codes.Error, fail.Reason)
	}
	span.End(trace.WithTimestamp(ev.Timestamp))
}
