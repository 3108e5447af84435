package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// eventTable is every event a history may send, made before it starts so
// that clients only read it. The first linCreators events are created
// events every client may send (racing creators); then each client has its
// own pool of fresh events.
type eventTable struct {
	execID uuid.UUID
	events []execution.Event
	model  []modelEvent
	byID   map[uuid.UUID]token
	pools  [][]token
}

const (
	linCreators = 3
	linPoolSize = 3 * linOpsPerClient
)

func newEventTable(rng *rand.Rand, clients int) *eventTable {
	tab := &eventTable{execID: uuid.New(), byID: map[uuid.UUID]token{}}
	for range linCreators {
		tab.add(tab.newEvent(execution.EventCreated, `{"kind":"block"}`, false))
	}
	for c := range clients {
		pool := make([]token, linPoolSize)
		for i := range pool {
			pool[i] = tab.add(tab.randomEvent(rng, fmt.Sprintf(`{"client":%d,"n":%d}`, c, i)))
		}
		tab.pools = append(tab.pools, pool)
	}
	return tab
}

func (tab *eventTable) add(ev execution.Event) token {
	tok := token(len(tab.events))
	tab.events = append(tab.events, ev)
	tab.model = append(tab.model, modelEventOf(ev))
	tab.byID[ev.ID] = tok
	return tok
}

func (tab *eventTable) newEvent(typ execution.EventType, payload string, administrative bool) execution.Event {
	ev := execution.Event{
		ID:          uuid.New(),
		Timestamp:   base.Add(time.Duration(len(tab.events)) * time.Millisecond),
		ExecutionID: tab.execID,
		EventType:   typ,
		Payload:     []byte(payload),
	}
	if administrative {
		ev.Metadata = map[string]any{execution.MetadataAdministrative: true}
	}
	return ev
}

// randomEvent draws an event of a mix that reaches every rule: mostly
// ordinary events, a few terminal ones (so histories end executions
// midway and meet finality), administrative ones that may follow them, and
// a few that are always or sometimes refused.
func (tab *eventTable) randomEvent(rng *rand.Rand, payload string) execution.Event {
	terminal := []execution.EventType{execution.EventCompleted, execution.EventFailed, execution.EventCancelled, execution.EventSkipped}
	ordinary := []execution.EventType{execution.EventStarted, execution.EventExecutorAssigned, execution.EventOutcomeProduced}
	switch p := rng.IntN(1000); {
	case p < 30:
		return tab.newEvent(terminal[rng.IntN(len(terminal))], payload, false)
	case p < 110:
		return tab.newEvent(execution.EventProgress, payload, true)
	case p < 130:
		return tab.newEvent(execution.EventExecutorReleased, payload, true)
	case p < 150:
		return tab.newEvent(execution.EventCreated, payload, false) // not first: refused
	case p < 165:
		return tab.newEvent(execution.EventProgress, `{"truncated":`, false)
	case p < 180:
		return tab.newEvent("restarted", payload, false) // no such type
	case p < 400:
		return tab.newEvent(ordinary[rng.IntN(len(ordinary))], payload, false)
	}
	return tab.newEvent(execution.EventProgress, payload, false)
}

// batchOf returns the events a batch of tokens stands for, as a fresh
// slice the store may keep.
func (tab *eventTable) batchOf(batch []token) []execution.Event {
	out := make([]execution.Event, len(batch))
	for i, tok := range batch {
		out[i] = tab.events[tok]
	}
	return out
}

// refsOf maps what a store returned back to tokens, checking that each
// event is one the history sent, unchanged.
func (tab *eventTable) refsOf(evs []execution.Event) ([]storedRef, error) {
	refs := make([]storedRef, len(evs))
	for i, ev := range evs {
		ref, err := tab.refOf(ev)
		if err != nil {
			return nil, err
		}
		refs[i] = ref
	}
	return refs, nil
}

func (tab *eventTable) refOf(ev execution.Event) (storedRef, error) {
	tok, ok := tab.byID[ev.ID]
	if !ok {
		return storedRef{}, fmt.Errorf("the store returned event %s (%s), which no client sent", ev.ID, ev.EventType)
	}
	sent := tab.events[tok]
	if ev.ExecutionID != sent.ExecutionID || ev.EventType != sent.EventType || !bytes.Equal(ev.Payload, sent.Payload) {
		return storedRef{}, fmt.Errorf("the store returned event %s as %s %s of %s, but it was sent as %s %s of %s",
			ev.ID, ev.EventType, ev.Payload, ev.ExecutionID, sent.EventType, sent.Payload, sent.ExecutionID)
	}
	return storedRef{tok: tok, seq: ev.Sequence}, nil
}

// sentBatches is every batch any client of a history has sent, for
// re-sends (the retries of a client that lost a reply, or of another
// process that sends the same events).
type sentBatches struct {
	mu      sync.Mutex
	batches [][]token
}

func (sb *sentBatches) add(b []token) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.batches = append(sb.batches, b)
}

func (sb *sentBatches) pick(rng *rand.Rand) ([]token, bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if len(sb.batches) == 0 {
		return nil, false
	}
	return sb.batches[rng.IntN(len(sb.batches))], true
}

// linClient is one concurrent user of the store in a history. It acts on
// what it has seen, as an executor would: it expects the last sequence it
// knows, retries batches, and reads after a refusal.
type linClient struct {
	id    int
	rng   *rand.Rand
	table *eventTable
	sent  *sentBatches
	rec   *recorder

	next    int    // the next unused event of the client's pool
	known   uint64 // the highest sequence the client has seen
	refused bool   // the last append was refused
}

// step runs one operation and records it. An error is an answer no model
// step could explain (a store error other than the sentinels, an event
// nobody sent).
func (c *linClient) step(ctx context.Context, s store.EventStore) error {
	p := c.rng.IntN(100)
	if c.refused {
		// What made a refusal (or a read after it) wrong in practice:
		// the refused client at once reads what it was refused against.
		p = 60 + p*4/10
	}
	switch {
	case p < 30:
		return c.append(ctx, s, c.freshBatch(), c.expectation())
	case p < 45:
		b, ok := c.sent.pick(c.rng)
		if !ok {
			b = c.freshBatch()
		}
		return c.append(ctx, s, b, c.expectation())
	case p < 50:
		return c.append(ctx, s, c.oddBatch(), c.expectation())
	case p < 60:
		return c.append(ctx, s, c.freshBatch(), c.exactExpectation())
	case p < 75:
		return c.events(ctx, s)
	case p < 90:
		return c.latest(ctx, s)
	case p < 95:
		return c.info(ctx, s)
	}
	return c.openList(ctx, s)
}

// freshBatch is one to three unsent events of the client's pool, led by a
// created event while the client has seen no event.
func (c *linClient) freshBatch() []token {
	var b []token
	if c.known == 0 && c.rng.IntN(2) == 0 {
		b = append(b, token(c.rng.IntN(linCreators)))
	}
	for n := 1 + c.rng.IntN(3); n > 0; n-- {
		if tok, ok := c.fresh(); ok {
			b = append(b, tok)
		}
	}
	return b
}

func (c *linClient) fresh() (token, bool) {
	pool := c.table.pools[c.id]
	if c.next == len(pool) {
		return 0, false
	}
	c.next++
	return pool[c.next-1], true
}

// oddBatch is a batch that breaks a batch rule, or may: a sent batch with
// a fresh event added (partly stored, or not at all), an event twice, or
// nothing.
func (c *linClient) oddBatch() []token {
	switch c.rng.IntN(4) {
	case 0:
		return nil
	case 1:
		tok, _ := c.fresh()
		return []token{tok, tok}
	}
	b, _ := c.sent.pick(c.rng)
	tok, ok := c.fresh()
	if !ok {
		return b
	}
	return append(append([]token(nil), b...), tok)
}

// expectation is none, mostly; else the sequence the client last saw (or
// a stale or early guess).
func (c *linClient) expectation() *uint64 {
	if c.rng.IntN(10) < 6 {
		return nil
	}
	return c.exactExpectation()
}

func (c *linClient) exactExpectation() *uint64 {
	n := c.known
	if c.rng.IntN(4) == 0 {
		n = c.rng.Uint64N(c.known + 2)
	}
	return &n
}

func (c *linClient) append(ctx context.Context, s store.EventStore, batch []token, expected *uint64) error {
	c.sent.add(batch)
	opts := store.AppendOptions{ExpectedSequence: expected}
	call := c.rec.now()
	evs, err := s.Append(ctx, c.table.batchOf(batch), opts)
	ret := c.rec.now()
	out := appendOutput{outcome: stored}
	switch {
	case err == nil:
		if out.events, err = c.table.refsOf(evs); err != nil {
			return fmt.Errorf("append %v: %w", batch, err)
		}
		for _, r := range out.events {
			c.known = max(c.known, r.seq)
		}
	case errors.Is(err, store.ErrConflict):
		out.outcome = refusedConflict
	case errors.Is(err, store.ErrFinal):
		out.outcome = refusedFinal
	case errors.Is(err, store.ErrInvalid):
		out.outcome = refusedInvalid
	default:
		return fmt.Errorf("append %v: %w", batch, err)
	}
	c.refused = out.outcome != stored
	c.rec.add(c.id, appendInput{batch: batch, expected: expected}, out, call, ret)
	return nil
}

func (c *linClient) events(ctx context.Context, s store.EventStore) error {
	after := c.rng.Uint64N(c.known + 2)
	if c.refused || c.rng.IntN(2) == 0 {
		after = 0
	}
	call := c.rec.now()
	evs, err := s.Events(ctx, c.table.execID, after)
	ret := c.rec.now()
	if err != nil {
		return fmt.Errorf("events after %d: %w", after, err)
	}
	refs, err := c.table.refsOf(evs)
	if err != nil {
		return fmt.Errorf("events after %d: %w", after, err)
	}
	c.known = max(c.known, after+uint64(len(refs)))
	c.refused = false
	c.rec.add(c.id, eventsInput{after: after}, eventsOutput{events: refs}, call, ret)
	return nil
}

func (c *linClient) latest(ctx context.Context, s store.EventStore) error {
	call := c.rec.now()
	ev, err := s.LatestEvent(ctx, c.table.execID)
	ret := c.rec.now()
	var out latestOutput
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("latest event: %w", err)
	default:
		if out.event, err = c.table.refOf(ev); err != nil {
			return fmt.Errorf("latest event: %w", err)
		}
		out.found = true
		c.known = max(c.known, out.event.seq)
	}
	c.refused = false
	c.rec.add(c.id, latestInput{}, out, call, ret)
	return nil
}

func (c *linClient) info(ctx context.Context, s store.EventStore) error {
	call := c.rec.now()
	info, err := s.Execution(ctx, c.table.execID)
	ret := c.rec.now()
	var out infoOutput
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("execution: %w", err)
	default:
		out = infoOutput{found: true, lastSequence: info.LastSequence, terminal: info.Terminal}
		c.known = max(c.known, info.LastSequence)
	}
	c.refused = false
	c.rec.add(c.id, infoInput{}, out, call, ret)
	return nil
}

func (c *linClient) openList(ctx context.Context, s store.EventStore) error {
	call := c.rec.now()
	open, err := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
	ret := c.rec.now()
	if err != nil {
		return fmt.Errorf("list open executions: %w", err)
	}
	var out openListOutput
	for _, info := range open {
		if info.ID == c.table.execID {
			out.listed = true
		}
	}
	c.refused = false
	c.rec.add(c.id, openListInput{}, out, call, ret)
	return nil
}
