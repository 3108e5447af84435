package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// subscribeConcurrentProperties are the subscription properties a shared,
// multi-writer store must keep under load: the gap problem of
// sequence-assigned positions (a transaction that took position 7 commits
// after the one that took 8, and a reader that already moved past 8 never
// sees 7) shows up here as a missed event.
func subscribeConcurrentProperties() []property {
	return []property{
		{"Subscribe/HammeredNoGapsNoReorders", testSubscribeHammered},
	}
}

// hammer is one run of testSubscribeHammered: what was appended, by whom,
// and what must never be delivered.
type hammer struct {
	mu       sync.Mutex
	appended map[uuid.UUID]execution.Event // by event id, as Append returned it
	refused  map[uuid.UUID]bool            // ids of appends that failed as intended
	// midStart receives the last event of writer 0's fifth append, where
	// the mid-stream subscriber starts.
	midStart chan execution.Event
}

func (h *hammer) record(out []execution.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range out {
		h.appended[ev.ID] = ev
	}
}

func (h *hammer) refuse(evs []execution.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		h.refused[ev.ID] = true
	}
}

// testSubscribeHammered runs 16 writers at once — each on its own
// execution and on four shared ones, in batches of one to three events,
// with some appends that must fail with ErrConflict (aborted transactions)
// — while subscribers read the whole store from the start, from the
// middle, and one execution each. Every subscriber must deliver exactly
// the events that were stored, each once, in strictly increasing position
// (or sequence) order, and nothing that was refused. The schedule is
// random; the seed is logged so a failure can be replayed.
func testSubscribeHammered(t *testing.T, s store.EventStore) { hammerShared(t, []store.EventStore{s}) }

// SubscribeShared checks the hammered-subscription property (see
// testSubscribeHammered) across several handles on one shared log — one
// store opened by several processes or hosts, like PostgreSQL. Writer w
// appends through stores[w % len(stores)] and subscriber i reads through
// stores[i % len(stores)], so events committed by one handle must reach
// the subscribers of every other without gaps or reordering. The caller
// opens and closes the stores; they must start empty.
func SubscribeShared(t *testing.T, stores ...store.EventStore) {
	t.Helper()
	if len(stores) == 0 {
		t.Fatal("SubscribeShared: no stores")
	}
	hammerShared(t, stores)
}

func hammerShared(t *testing.T, stores []store.EventStore) {
	s := stores[0]
	via := func(i int) store.EventStore { return stores[i%len(stores)] }
	const writers, appendsPerWriter, sharedCount, fromStart = 16, 20, 4, 3
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	shared := make([]*logBuilder, sharedCount)
	for i := range shared {
		shared[i] = newLog()
	}
	h := &hammer{appended: map[uuid.UUID]execution.Event{}, refused: map[uuid.UUID]bool{}, midStart: make(chan execution.Event, 1)}

	var readers sync.WaitGroup
	marker := newLog()
	markerEvent := marker.created()
	all := make([]*delivered, fromStart)
	isMarker := func(ev execution.Event) bool { return ev.ID == markerEvent.ID }
	isEnd := func(ev execution.Event) bool { return ev.EventType == execution.EventCompleted }
	for i := range all {
		all[i] = startReader(&readers, subscribe(t, via(i), store.SubscribeOptions{}), isMarker)
	}
	one := make([]*delivered, sharedCount)
	for i, l := range shared {
		one[i] = startReader(&readers, subscribe(t, via(i+1), store.SubscribeOptions{ExecutionID: l.id}), isEnd)
	}
	for _, l := range shared {
		h.record(mustAppend(t, s, batch(l.created())))
	}
	var mid *delivered
	var midAfter uint64
	midReady := make(chan struct{})
	go func() {
		defer close(midReady)
		start, ok := <-h.midStart
		if !ok {
			return
		}
		midAfter = start.Position
		sub, err := via(len(stores)-1).Subscribe(context.Background(), store.SubscribeOptions{After: midAfter})
		if err != nil {
			t.Errorf("mid-stream Subscribe(after %d): %v", midAfter, err)
			return
		}
		t.Cleanup(func() { _ = sub.Close() })
		mid = startReader(&readers, sub, isMarker)
	}()

	plans := make([][]hammerAppend, writers)
	for w := range plans {
		plans[w] = planWriter(rand.New(rand.NewPCG(seed, uint64(w))), w, appendsPerWriter, shared)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w, plan := range plans {
		wg.Go(func() {
			<-start
			runWriter(t, via(w), h, w, plan)
		})
	}
	close(start)
	within(t, "the writers", wg.Wait)
	close(h.midStart) // if writer 0 failed before its fifth append
	<-midReady
	// The shared executions end, which stops their subscribers; the
	// marker comes last, so a reader that has delivered it has delivered
	// every position below it — or skipped some for good.
	for _, l := range shared {
		h.record(mustAppend(t, s, batch(l.event(execution.EventCompleted, ""))))
	}
	h.record(mustAppend(t, s, batch(markerEvent)))
	within(t, "the subscribers", readers.Wait)

	want := h.sortedByPosition()
	for i, d := range all {
		d.check(t, fmt.Sprintf("subscriber %d from the start", i), want, byPosition, h.refused)
	}
	if mid != nil {
		var rest []execution.Event
		for _, ev := range want {
			if ev.Position > midAfter {
				rest = append(rest, ev)
			}
		}
		mid.check(t, fmt.Sprintf("subscriber from position %d", midAfter), rest, byPosition, h.refused)
	}
	for i, l := range shared {
		var log []execution.Event
		for _, ev := range want {
			if ev.ExecutionID == l.id {
				log = append(log, ev)
			}
		}
		one[i].check(t, fmt.Sprintf("subscriber of shared execution %d", i), log, bySequence, h.refused)
	}
}

// hammerAppend is one planned Append.
type hammerAppend struct {
	events []execution.Event
	opts   store.AppendOptions
	// conflict: the append carries a stale expectation and must fail with
	// ErrConflict.
	conflict bool
}

// planWriter builds writer w's appends up front (logBuilder is not safe
// for concurrent use): its own execution's created event first, then
// batches to its own or a shared execution, one in five of the shared ones
// with an expectation that is certainly stale.
func planWriter(rng *rand.Rand, w, n int, shared []*logBuilder) []hammerAppend {
	own := newLog()
	plan := []hammerAppend{{events: batch(own.created())}}
	for i := 1; i < n; i++ {
		size := 1 + rng.IntN(3)
		target := uuid.Nil
		if rng.IntN(2) == 0 {
			target = shared[rng.IntN(len(shared))].id
		}
		var evs []execution.Event
		for j := range size {
			ev := own.progress(w*1000 + i*10 + j)
			if target != uuid.Nil {
				ev.ExecutionID = target
			}
			evs = append(evs, ev)
		}
		a := hammerAppend{events: evs}
		if target != uuid.Nil && rng.IntN(5) == 0 {
			// Every shared execution holds its created event before the
			// writers start, so expecting an empty log always conflicts.
			a.opts, a.conflict = store.ExpectSequence(0), true
		}
		plan = append(plan, a)
	}
	return plan
}

func runWriter(t *testing.T, s store.EventStore, h *hammer, w int, plan []hammerAppend) {
	for i, a := range plan {
		out, err := s.Append(context.Background(), a.events, a.opts)
		switch {
		case a.conflict && errors.Is(err, store.ErrConflict):
			h.refuse(a.events)
			continue
		case a.conflict:
			t.Errorf("writer %d append %d with a stale expectation = %v, want ErrConflict", w, i, err)
			return
		case err != nil:
			t.Errorf("writer %d append %d: %v", w, i, err)
			return
		}
		h.record(out)
		if w == 0 && i == 4 {
			h.midStart <- out[len(out)-1]
		}
	}
}

func (h *hammer) sortedByPosition() []execution.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]execution.Event, 0, len(h.appended))
	for _, ev := range h.appended {
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b execution.Event) int { return cmp.Compare(a.Position, b.Position) })
	return out
}

// delivered is what one subscriber's reader goroutine received.
type delivered struct {
	events []execution.Event
	err    error
}

// startReader reads sub in a goroutine of wg, recording every event, until
// it delivers one for which last is true.
func startReader(wg *sync.WaitGroup, sub store.Subscription, last func(execution.Event) bool) *delivered {
	d := &delivered{}
	wg.Go(func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			ev, err := sub.Next(ctx)
			cancel()
			if err != nil {
				d.err = err
				return
			}
			d.events = append(d.events, ev)
			if last(ev) {
				return
			}
		}
	})
	return d
}

type order int

const (
	byPosition order = iota
	bySequence
)

// check compares what a subscriber delivered with want, naming the first
// event missed, repeated, reordered or invented.
func (d *delivered) check(t *testing.T, who string, want []execution.Event, o order, refused map[uuid.UUID]bool) {
	t.Helper()
	if d.err != nil {
		t.Errorf("%s: Next failed after %d events: %v", who, len(d.events), d.err)
	}
	for i, ev := range d.events {
		if i == 0 {
			continue
		}
		prev := d.events[i-1]
		if (o == byPosition && ev.Position <= prev.Position) || (o == bySequence && ev.Sequence != prev.Sequence+1) {
			t.Errorf("%s: delivery %d is position %d sequence %d after position %d sequence %d: reordered, repeated or skipped",
				who, i, ev.Position, ev.Sequence, prev.Position, prev.Sequence)
			return
		}
	}
	got := map[uuid.UUID]bool{}
	for _, ev := range d.events {
		got[ev.ID] = true
	}
	for _, w := range want {
		if !got[w.ID] {
			t.Errorf("%s: event at position %d (execution %s, sequence %d) was stored but never delivered (%d delivered, %d stored)",
				who, w.Position, w.ExecutionID, w.Sequence, len(d.events), len(want))
			return
		}
	}
	if len(d.events) != len(want) {
		t.Errorf("%s: %d events delivered, %d stored", who, len(d.events), len(want))
	}
	byID := map[uuid.UUID]execution.Event{}
	for _, w := range want {
		byID[w.ID] = w
	}
	for _, ev := range d.events {
		w, ok := byID[ev.ID]
		if refused[ev.ID] {
			t.Errorf("%s: delivered event %s (position %d) of an append that was refused with ErrConflict", who, ev.ID, ev.Position)
			return
		}
		if !ok {
			t.Errorf("%s: delivered event %s (%s, position %d) was never stored by a successful append", who, ev.ID, ev.EventType, ev.Position)
			return
		}
		if diff := diffEvent(w, ev); diff != "" {
			t.Errorf("%s: delivered event differs from the appended one: %s", who, diff)
			return
		}
	}
}
