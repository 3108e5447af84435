package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// storeClient is a plugin's view of the host's event store: a
// store.EventStore whose calls cross the brokered gRPC connection. Each
// request hands the adapter its own storeClient over the shared connection,
// so an adapter that closes its store closes only its own handle (and that
// handle's subscriptions), never the connection other requests use.
type storeClient struct {
	rpc pluginproto.EventStoreClient

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
}

var _ store.EventStore = (*storeClient)(nil)

func newStoreClient(rpc pluginproto.EventStoreClient) *storeClient {
	return &storeClient{rpc: rpc, subs: map[*subscription]struct{}{}}
}

// usable fails with store.ErrClosed once the handle is closed.
func (c *storeClient) usable(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("host store: %s: %w", op, store.ErrClosed)
	}
	return nil
}

func (c *storeClient) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if err := c.usable("append"); err != nil {
		return nil, err
	}
	raw, err := encodeEvents(events)
	if err != nil {
		return nil, fmt.Errorf("host store: append: %w", err)
	}
	req := &pluginproto.AppendRequest{Events: raw, ExpectedSequence: opts.ExpectedSequence}
	if err := checkMessageSize(fmt.Sprintf("an append of %d events", len(events)), proto.Size(req)); err != nil {
		return nil, fmt.Errorf("host store: append: %w", err)
	}
	resp, err := c.rpc.Append(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("host store: append: %w", fromStatus(err))
	}
	return decodeEvents(resp.GetEvents())
}

func (c *storeClient) Events(ctx context.Context, executionID uuid.UUID, after uint64) ([]execution.Event, error) {
	if err := c.usable("events"); err != nil {
		return nil, err
	}
	resp, err := c.rpc.Events(ctx, &pluginproto.EventsRequest{ExecutionId: executionID.String(), After: after})
	if err != nil {
		return nil, fmt.Errorf("host store: events of %s: %w", executionID, fromStatus(err))
	}
	return decodeEvents(resp.GetEvents())
}

func (c *storeClient) LatestEvent(ctx context.Context, executionID uuid.UUID) (execution.Event, error) {
	if err := c.usable("latest event"); err != nil {
		return execution.Event{}, err
	}
	resp, err := c.rpc.LatestEvent(ctx, &pluginproto.LatestEventRequest{ExecutionId: executionID.String()})
	if err != nil {
		return execution.Event{}, fmt.Errorf("host store: latest event of %s: %w", executionID, fromStatus(err))
	}
	return decodeEvent(resp.GetEvent())
}

func (c *storeClient) Execution(ctx context.Context, executionID uuid.UUID) (store.ExecutionInfo, error) {
	if err := c.usable("execution"); err != nil {
		return store.ExecutionInfo{}, err
	}
	resp, err := c.rpc.Execution(ctx, &pluginproto.ExecutionRequest{ExecutionId: executionID.String()})
	if err != nil {
		return store.ExecutionInfo{}, fmt.Errorf("host store: execution %s: %w", executionID, fromStatus(err))
	}
	return infoFromProto(resp.GetInfo())
}

func (c *storeClient) ListExecutions(ctx context.Context, f store.Filter) ([]store.ExecutionInfo, error) {
	if err := c.usable("list executions"); err != nil {
		return nil, err
	}
	resp, err := c.rpc.ListExecutions(ctx, &pluginproto.ListExecutionsRequest{
		OpenOnly:     f.OpenOnly,
		Parent:       idString(f.Parent),
		DefinitionId: idString(f.DefinitionID),
		Kind:         string(f.Kind),
	})
	if err != nil {
		return nil, fmt.Errorf("host store: list executions: %w", fromStatus(err))
	}
	out := make([]store.ExecutionInfo, 0, len(resp.GetExecutions()))
	for _, p := range resp.GetExecutions() {
		info, err := infoFromProto(p)
		if err != nil {
			return nil, fmt.Errorf("host store: list executions: %w", err)
		}
		out = append(out, info)
	}
	return out, nil
}

// Subscribe opens a server stream and returns once the host confirms the
// subscription (or says why it cannot). ctx bounds only this call, as for
// every store: the subscription lives until it or the handle is closed.
func (c *storeClient) Subscribe(ctx context.Context, opts store.SubscribeOptions) (store.Subscription, error) {
	if err := c.usable("subscribe"); err != nil {
		return nil, err
	}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopWatching := context.AfterFunc(ctx, cancel)
	stream, err := c.rpc.Subscribe(streamCtx, &pluginproto.SubscribeRequest{
		ExecutionId: idString(opts.ExecutionID),
		After:       opts.After,
	})
	if err == nil {
		var md map[string][]string
		md, err = stream.Header()
		if err == nil && md == nil {
			// The stream ended before the subscription was in place; its
			// status says why.
			_, err = stream.Recv()
		}
	}
	if !stopWatching() {
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("host store: subscribe: %w", fromStatus(err))
	}
	sub := &subscription{
		owner:  c,
		cancel: cancel,
		events: make(chan subscriptionItem),
		done:   make(chan struct{}),
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("host store: subscribe: %w", store.ErrClosed)
	}
	c.subs[sub] = struct{}{}
	c.mu.Unlock()
	go sub.receive(stream)
	return sub, nil
}

// Close closes this handle and its subscriptions; the host's store and the
// connection other requests share stay open. Closing twice is harmless.
func (c *storeClient) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for sub := range subs {
		sub.shut()
	}
	return nil
}

func (c *storeClient) forget(sub *subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.subs, sub)
}

type subscriptionItem struct {
	ev  execution.Event
	err error
}

// subscription receives a server stream in its own goroutine and hands
// events to Next one at a time, so a Next abandoned by its context loses
// nothing: the pending event waits for the next call.
type subscription struct {
	owner  *storeClient
	cancel context.CancelFunc
	events chan subscriptionItem
	done   chan struct{}
	once   sync.Once

	mu  sync.Mutex
	err error // the error that ended the stream, returned by every later Next
}

type eventStream interface {
	Recv() (*pluginproto.SubscribeResponse, error)
}

func (s *subscription) receive(stream eventStream) {
	for {
		var item subscriptionItem
		resp, err := stream.Recv()
		if err == nil {
			item.ev, err = decodeEvent(resp.GetEvent())
		}
		if err != nil {
			item.err = fromStatus(err)
		}
		select {
		case s.events <- item:
		case <-s.done:
			return
		}
		if item.err != nil {
			return
		}
	}
}

func (s *subscription) Next(ctx context.Context) (execution.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return execution.Event{}, s.err
	}
	select {
	case <-s.done:
		return execution.Event{}, fmt.Errorf("host store: subscription: %w", store.ErrClosed)
	default:
	}
	select {
	case item := <-s.events:
		if item.err != nil {
			s.err = fmt.Errorf("host store: subscription: %w", item.err)
			return execution.Event{}, s.err
		}
		return item.ev, nil
	case <-s.done:
		return execution.Event{}, fmt.Errorf("host store: subscription: %w", store.ErrClosed)
	case <-ctx.Done():
		return execution.Event{}, fmt.Errorf("host store: subscription: %w", ctx.Err())
	}
}

// Close ends the stream; a blocked Next returns store.ErrClosed.
func (s *subscription) Close() error {
	s.shut()
	s.owner.forget(s)
	return nil
}

func (s *subscription) shut() {
	s.once.Do(func() {
		close(s.done)
		s.cancel()
	})
}
