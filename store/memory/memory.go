package memory

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Store is an in-memory store.EventStore. The zero value is not usable;
// call New. All methods are safe for concurrent use.
type Store struct {
	now func() time.Time

	mu     sync.RWMutex
	closed bool
	// logs holds each execution's events in sequence order.
	logs map[uuid.UUID]*executionLog
	// order lists executions by their first append, for ListExecutions.
	order []uuid.UUID
	// children lists, per parent, its child executions in creation order,
	// so listing a flow's blocks does not scan every execution.
	children map[uuid.UUID][]uuid.UUID
	// byEventID finds a stored event for idempotent retries.
	byEventID map[uuid.UUID]eventRef
	// global lists every event in Position order: global[p-1] is the event
	// at Position p.
	global []eventRef
	// changed is closed (and replaced) by every append and by Close, to wake
	// subscribers waiting for news.
	changed chan struct{}
}

type executionLog struct {
	info   store.ExecutionInfo
	events []execution.Event
}

// eventRef locates a stored event: the execution and its sequence.
type eventRef struct {
	executionID uuid.UUID
	sequence    uint64
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store stamp events that arrive without a timestamp
// with now() instead of the wall clock, for deterministic tests.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:       time.Now,
		logs:      make(map[uuid.UUID]*executionLog),
		byEventID: make(map[uuid.UUID]eventRef),
		children:  make(map[uuid.UUID][]uuid.UUID),
		changed:   make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ store.EventStore = (*Store)(nil)

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("append: %w", store.ErrClosed)
	}
	if stored, done, err := s.alreadyStored(events); done || err != nil {
		return stored, err
	}
	var tail store.Tail
	var execID uuid.UUID
	if len(events) > 0 {
		execID = events[0].ExecutionID
	}
	log := s.logs[execID]
	if log != nil {
		tail = store.Tail{LastSequence: log.info.LastSequence, Terminal: log.info.Terminal}
	}
	prepared, err := store.PrepareAppend(events, tail, opts, s.now())
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = &executionLog{info: store.InfoFromCreated(prepared[0])}
		s.logs[execID] = log
		s.order = append(s.order, execID)
		if p := log.info.Parent; p != uuid.Nil {
			s.children[p] = append(s.children[p], execID)
		}
	}
	out := make([]execution.Event, len(prepared))
	for i := range prepared {
		ev := cloneEvent(prepared[i])
		ev.Position = uint64(len(s.global)) + 1
		s.global = append(s.global, eventRef{execID, ev.Sequence})
		s.byEventID[ev.ID] = eventRef{execID, ev.Sequence}
		log.events = append(log.events, ev)
		log.info.LastSequence = ev.Sequence
		if ev.EventType.IsTerminal() {
			log.info.Terminal = true
		}
		out[i] = cloneEvent(ev)
	}
	s.broadcast()
	return out, nil
}

// alreadyStored handles a retried append. When every event of the batch
// carries the id of a stored event it returns the stored events and done;
// when only some do, the batch overlaps a stored one and is refused, since
// appending the rest would store a different batch than the client sent.
func (s *Store) alreadyStored(events []execution.Event) ([]execution.Event, bool, error) {
	found := 0
	for i := range events {
		if _, ok := s.byEventID[events[i].ID]; ok && events[i].ID != uuid.Nil {
			found++
		}
	}
	switch {
	case found == 0:
		return nil, false, nil
	case found < len(events):
		return nil, false, fmt.Errorf("%w: %d of the %d events are already stored; retry the whole batch or none of it",
			store.ErrInvalid, found, len(events))
	}
	out := make([]execution.Event, len(events))
	for i := range events {
		ref := s.byEventID[events[i].ID]
		if ref.executionID != events[i].ExecutionID {
			return nil, false, fmt.Errorf("%w: event %s is already stored for execution %s, not %s",
				store.ErrInvalid, events[i].ID, ref.executionID, events[i].ExecutionID)
		}
		out[i] = cloneEvent(s.event(ref))
	}
	return out, true, nil
}

// event returns the stored event ref points at. The caller holds s.mu.
func (s *Store) event(ref eventRef) execution.Event {
	return s.logs[ref.executionID].events[ref.sequence-1]
}

// broadcast wakes every waiting subscriber. The caller holds s.mu for
// writing.
func (s *Store) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Events implements store.EventStore.
func (s *Store) Events(ctx context.Context, executionID uuid.UUID, after uint64) ([]execution.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("events of %s: %w", executionID, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("events of %s: %w", executionID, store.ErrClosed)
	}
	log := s.logs[executionID]
	if log == nil || after >= uint64(len(log.events)) {
		return []execution.Event{}, nil
	}
	stored := log.events[after:]
	out := make([]execution.Event, len(stored))
	for i := range stored {
		out[i] = cloneEvent(stored[i])
	}
	return out, nil
}

// LatestEvent implements store.EventStore.
func (s *Store) LatestEvent(ctx context.Context, executionID uuid.UUID) (execution.Event, error) {
	if err := ctx.Err(); err != nil {
		return execution.Event{}, fmt.Errorf("latest event of %s: %w", executionID, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return execution.Event{}, fmt.Errorf("latest event of %s: %w", executionID, store.ErrClosed)
	}
	log := s.logs[executionID]
	if log == nil {
		return execution.Event{}, fmt.Errorf("latest event of %s: %w", executionID, store.ErrNotFound)
	}
	return cloneEvent(log.events[len(log.events)-1]), nil
}

// Execution implements store.EventStore.
func (s *Store) Execution(ctx context.Context, executionID uuid.UUID) (store.ExecutionInfo, error) {
	if err := ctx.Err(); err != nil {
		return store.ExecutionInfo{}, fmt.Errorf("execution %s: %w", executionID, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ExecutionInfo{}, fmt.Errorf("execution %s: %w", executionID, store.ErrClosed)
	}
	log := s.logs[executionID]
	if log == nil {
		return store.ExecutionInfo{}, fmt.Errorf("execution %s: %w", executionID, store.ErrNotFound)
	}
	return log.info, nil
}

// ListExecutions implements store.EventStore. It scans every execution;
// a memory store is not meant to hold more than fit in a test's memory.
func (s *Store) ListExecutions(ctx context.Context, f store.Filter) ([]store.ExecutionInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("list executions: %w", store.ErrClosed)
	}
	out := []store.ExecutionInfo{}
	candidates := s.order
	if f.Parent != uuid.Nil {
		candidates = s.children[f.Parent]
	}
	for _, id := range candidates {
		if info := s.logs[id].info; f.Matches(info) {
			out = append(out, info)
		}
	}
	return out, nil
}

// LastPosition returns the Position of the newest event (0 when empty), so
// a reader can follow the store from "now" without replaying it.
func (s *Store) LastPosition(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, fmt.Errorf("last position: %w", store.ErrClosed)
	}
	return uint64(len(s.global)), nil
}

// Close implements store.EventStore. It wakes every subscriber, whose Next
// then returns store.ErrClosed, and makes every later call fail with
// store.ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.broadcast()
	return nil
}

// cloneEvent copies the parts of an event that share memory (payload bytes,
// metadata, executor), so the stored log and what callers hold never alias.
func cloneEvent(ev execution.Event) execution.Event {
	if ev.Payload != nil {
		ev.Payload = append([]byte(nil), ev.Payload...)
	}
	ev.Metadata = cloneMap(ev.Metadata)
	if ev.Executor != nil {
		x := *ev.Executor
		x.Metadata = cloneMap(x.Metadata)
		ev.Executor = &x
	}
	return ev
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneValue(v)
	}
	return out
}

// cloneValue deep-copies the JSON-shaped values metadata holds; other values
// are copied as they are.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = cloneValue(v[i])
		}
		return out
	}
	return v
}
