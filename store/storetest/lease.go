package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// leaseProperties check the optional store.Leaser: one writer per
// execution at a time, fenced by a token the store checks with every
// append. Stores without it skip them.
func leaseProperties() []property {
	return []property{
		{"Lease/AcquireHeldRenewRelease", testLeaseLifecycle},
		{"Lease/TakeoverAfterExpiryFencesTheOldOwner", testLeaseTakeover},
		{"Lease/RacingAcquirersOneWinner", testLeaseRace},
		{"Lease/FencedAppendKeepsTheAppendRules", testFencedAppendRules},
		{"Lease/FenceChecksTheLeasedExecution", testFenceOtherExecution},
		{"Lease/TakeoverWaitsForAFencedAppendInFlight", testTakeoverDuringAppends},
		{"Lease/BadArguments", testLeaseBadArguments},
	}
}

// long is a TTL no test outlives; short expires almost at once.
const (
	leaseLong  = time.Hour
	leaseShort = time.Millisecond
)

func leaser(t *testing.T, s store.EventStore) store.Leaser {
	t.Helper()
	l, ok := s.(store.Leaser)
	if !ok {
		t.Skip("store does not implement store.Leaser")
	}
	return l
}

func mustAcquire(t *testing.T, ls store.Leaser, exec uuid.UUID, owner string, ttl time.Duration) store.Lease {
	t.Helper()
	l, err := ls.AcquireLease(t.Context(), exec, owner, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %q): %v", exec, owner, err)
	}
	if l.ExecutionID != exec || l.Owner != owner || l.Token == 0 {
		t.Fatalf("AcquireLease(%s, %q) = %+v", exec, owner, l)
	}
	return l
}

// acquireWhenExpired retries AcquireLease until the current holder's
// short lease has lapsed by the store's clock. It polls a condition the
// store decides; it does not guess a duration.
func acquireWhenExpired(t *testing.T, ls store.Leaser, exec uuid.UUID, owner string) store.Lease {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		l, err := ls.AcquireLease(t.Context(), exec, owner, leaseLong)
		if err == nil {
			return l
		}
		if !errors.Is(err, store.ErrLeaseHeld) || time.Now().After(deadline) {
			t.Fatalf("AcquireLease(%s, %q) after the holder's lease expired: %v", exec, owner, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func testLeaseLifecycle(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	ctx := t.Context()
	exec := uuid.New()
	before := time.Now()
	a := mustAcquire(t, ls, exec, "host-a", leaseLong)
	if a.ExpiresAt.Before(before.Add(leaseLong - time.Minute)) {
		t.Errorf("lease for %s expires at %s, want about an hour after %s", leaseLong, a.ExpiresAt, before)
	}
	// Another owner cannot take a held lease; the error names the holder.
	_, err := ls.AcquireLease(ctx, exec, "host-b", leaseLong)
	if !errors.Is(err, store.ErrLeaseHeld) || !strings.Contains(err.Error(), "host-a") {
		t.Fatalf("AcquireLease by another owner = %v, want ErrLeaseHeld naming host-a", err)
	}
	// The holder acquiring again keeps its tenure (same token).
	again := mustAcquire(t, ls, exec, "host-a", leaseLong)
	if again.Token != a.Token {
		t.Errorf("re-acquire by the holder: token %d, want %d (same tenure)", again.Token, a.Token)
	}
	renewed, err := ls.RenewLease(ctx, a, 2*leaseLong)
	if err != nil || renewed.Token != a.Token || !renewed.ExpiresAt.After(a.ExpiresAt) {
		t.Fatalf("RenewLease = %+v, %v; want token %d and a later expiry than %s", renewed, err, a.Token, a.ExpiresAt)
	}
	checkLeases(t, ls, store.Lease{ExecutionID: exec, Owner: "host-a", Token: a.Token})
	if err := ls.ReleaseLease(ctx, a); err != nil {
		t.Fatalf("ReleaseLease: %v", err)
	}
	// Released: the old tenure can neither renew, release nor write, and
	// another owner acquires at once with the next token.
	if _, err := ls.RenewLease(ctx, a, leaseLong); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewLease after release = %v, want ErrFenced", err)
	}
	if err := ls.ReleaseLease(ctx, a); !errors.Is(err, store.ErrFenced) {
		t.Errorf("second ReleaseLease = %v, want ErrFenced", err)
	}
	b := mustAcquire(t, ls, exec, "host-b", leaseLong)
	if b.Token <= a.Token {
		t.Errorf("token after a release is %d, want more than %d", b.Token, a.Token)
	}
	checkLeases(t, ls, store.Lease{ExecutionID: exec, Owner: "host-b", Token: b.Token})
}

// checkLeases compares Leases with want, ignoring expiry times.
func checkLeases(t *testing.T, ls store.Leaser, want ...store.Lease) {
	t.Helper()
	got, err := ls.Leases(t.Context())
	if err != nil {
		t.Fatalf("Leases: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Leases = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ExecutionID != want[i].ExecutionID || got[i].Owner != want[i].Owner || got[i].Token != want[i].Token {
			t.Errorf("Leases[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testLeaseTakeover(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	ctx := t.Context()
	l := newLog()
	a := mustAcquire(t, ls, l.id, "host-a", leaseLong)
	mustAppendFenced(t, ls, a, batch(l.created(), l.event(execution.EventStarted, "")))
	// host-a pauses; its lease is renewed one last time with a short TTL
	// and lapses; host-b takes over.
	if _, err := ls.RenewLease(ctx, a, leaseShort); err != nil {
		t.Fatalf("RenewLease: %v", err)
	}
	b := acquireWhenExpired(t, ls, l.id, "host-b")
	if b.Token <= a.Token {
		t.Fatalf("takeover token %d, want more than %d", b.Token, a.Token)
	}
	// host-a wakes up: its appends, renewals and release are refused, and
	// the log is unchanged.
	err := mustFailFenced(t, s, ls, a, batch(l.progress(1)))
	if !strings.Contains(err.Error(), l.id.String()) {
		t.Errorf("fenced error %q does not name the leased execution", err)
	}
	if _, err := ls.RenewLease(ctx, a, leaseLong); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewLease by the old owner = %v, want ErrFenced", err)
	}
	if err := ls.ReleaseLease(ctx, a); !errors.Is(err, store.ErrFenced) {
		t.Errorf("ReleaseLease by the old owner = %v, want ErrFenced", err)
	}
	// Even under the same owner name, an old tenure stays fenced.
	stale := b
	stale.Token = a.Token
	mustFailFenced(t, s, ls, stale, batch(l.progress(2)))
	// The new owner writes.
	mustAppendFenced(t, ls, b, batch(l.progress(3), l.event(execution.EventCompleted, "")))
	if got := mustEvents(t, s, l.id, 0); len(got) != 4 {
		t.Errorf("log holds %d events %s, want created started progress completed", len(got), describe(got))
	}
	// A lease that expired with nobody taking over still belongs to its
	// tenure: it renews, and then writes again.
	c := newLog()
	own := mustAcquire(t, ls, c.id, "host-c", leaseShort)
	waitExpired(t, ls, own)
	if _, err := ls.RenewLease(ctx, own, leaseLong); err != nil {
		t.Fatalf("RenewLease of an expired, untaken lease: %v", err)
	}
	mustAppendFenced(t, ls, own, batch(c.created()))
}

// waitExpired waits until the store fences l because it expired. Its
// probe is a progress event for an execution without events: while the
// lease is live the store refuses it as invalid (logs start with
// created), so the probe can never land, and once the lease has expired
// the fence check, which comes first, refuses it as fenced.
func waitExpired(t *testing.T, ls store.Leaser, l store.Lease) {
	t.Helper()
	probe := newLog().progress(1)
	deadline := time.Now().Add(waitLimit)
	for {
		_, err := ls.AppendFenced(t.Context(), l, batch(probe), store.AppendOptions{})
		switch {
		case errors.Is(err, store.ErrFenced):
			return
		case !errors.Is(err, store.ErrInvalid):
			t.Fatalf("probe under a live lease = %v, want ErrInvalid (the fence is checked before the log rules)", err)
		case time.Now().After(deadline):
			t.Fatalf("a %s lease did not expire within %s", leaseShort, waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustAppendFenced(t *testing.T, ls store.Leaser, l store.Lease, evs []execution.Event, opts ...store.AppendOptions) []execution.Event {
	t.Helper()
	var o store.AppendOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	out, err := ls.AppendFenced(t.Context(), l, evs, o)
	if err != nil {
		t.Fatalf("AppendFenced(token %d, %s): %v", l.Token, describe(evs), err)
	}
	return out
}

// mustFailFenced expects ErrFenced, with context, and an unchanged log.
func mustFailFenced(t *testing.T, s store.EventStore, ls store.Leaser, l store.Lease, evs []execution.Event) error {
	t.Helper()
	before := mustEvents(t, s, evs[0].ExecutionID, 0)
	_, err := ls.AppendFenced(t.Context(), l, evs, store.AppendOptions{})
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("AppendFenced with stale token %d = %v, want ErrFenced", l.Token, err)
	}
	if err.Error() == store.ErrFenced.Error() {
		t.Errorf("ErrFenced carries no context: %q", err)
	}
	if d := diffLogs(before, mustEvents(t, s, evs[0].ExecutionID, 0)); d != "" {
		t.Fatalf("a fenced append changed the log: %s", d)
	}
	return err
}

func testLeaseRace(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	const racers = 8
	exec := uuid.New()
	start := make(chan struct{})
	type result struct {
		l   store.Lease
		err error
	}
	results := make(chan result, racers)
	for i := range racers {
		owner := "host-" + string(rune('a'+i))
		go func() {
			<-start
			l, err := ls.AcquireLease(context.Background(), exec, owner, leaseLong)
			results <- result{l, err}
		}()
	}
	close(start)
	var winners []store.Lease
	for range racers {
		r := <-results
		switch {
		case r.err == nil:
			winners = append(winners, r.l)
		case !errors.Is(r.err, store.ErrLeaseHeld):
			t.Errorf("losing acquirer got %v, want ErrLeaseHeld", r.err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d of %d racing acquirers won: %+v", len(winners), racers, winners)
	}
	checkLeases(t, ls, winners[0])
}

func testFencedAppendRules(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	l := newLog()
	lease := mustAcquire(t, ls, l.id, "host-a", leaseLong)
	created := batch(l.created())
	stored := mustAppendFenced(t, ls, lease, created, store.ExpectSequence(0))
	// Expected sequence, finality and validity are checked as in Append.
	if _, err := ls.AppendFenced(t.Context(), lease, batch(l.progress(1)), store.ExpectSequence(0)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("fenced append with a stale expectation = %v, want ErrConflict", err)
	}
	mustAppendFenced(t, ls, lease, batch(l.event(execution.EventCompleted, "")), store.ExpectSequence(1))
	if _, err := ls.AppendFenced(t.Context(), lease, batch(l.progress(2)), store.AppendOptions{}); !errors.Is(err, store.ErrFinal) {
		t.Errorf("fenced append after terminal = %v, want ErrFinal", err)
	}
	if _, err := ls.AppendFenced(t.Context(), lease, batch(l.event("exploded", "")), store.AppendOptions{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("fenced append of an unknown type = %v, want ErrInvalid", err)
	}
	// A retry of stored events is answered from the log, even after the
	// lease was lost: they were stored under a valid lease.
	if err := ls.ReleaseLease(t.Context(), lease); err != nil {
		t.Fatal(err)
	}
	again, err := ls.AppendFenced(t.Context(), lease, created, store.AppendOptions{})
	if err != nil {
		t.Fatalf("retry of a stored batch after the lease was released = %v, want the stored events", err)
	}
	if d := diffLogs(stored, again); d != "" {
		t.Errorf("retry returned different events: %s", d)
	}
	// A token that was never issued is fenced.
	never := newLog()
	mustFailFenced(t, s, ls, store.Lease{ExecutionID: never.id, Owner: "host-a", Token: 1}, batch(never.created()))
}

func testFenceOtherExecution(t *testing.T, s store.EventStore) {
	// The lease is on the flow; the host writes the blocks it creates
	// under the flow's lease.
	ls := leaser(t, s)
	flow, block := newLog(), newLog()
	a := mustAcquire(t, ls, flow.id, "host-a", leaseShort)
	b := acquireWhenExpired(t, ls, flow.id, "host-b")
	mustFailFenced(t, s, ls, a, batch(block.created()))
	mustAppendFenced(t, ls, b, batch(block.created()))
	// A lease on another execution does not fence this one.
	other := mustAcquire(t, ls, uuid.New(), "host-a", leaseLong)
	mustAppendFenced(t, ls, other, batch(flow.created()))
}

// testTakeoverDuringAppends races an owner's stream of fenced appends
// with a takeover. Whatever the interleaving, the log must split in two:
// every event the old owner stored comes before every event the new owner
// stored, the new owner's first append sees everything the old one was
// acknowledged for, and the old owner is refused from the takeover on.
func testTakeoverDuringAppends(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	l := newLog()
	a := mustAcquire(t, ls, l.id, "host-a", leaseLong)
	mustAppendFenced(t, ls, a, batch(l.created()))
	// The old owner has its own builder of the same log: logBuilder is
	// not safe for concurrent use.
	old := &logBuilder{id: l.id, clock: l.clock.Add(time.Hour)}
	const limit = 100_000
	var acked []execution.Event
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Go(func() {
		for i := range limit {
			if i == 20 {
				close(started)
			}
			out, err := ls.AppendFenced(context.Background(), a, batch(old.progress(i)), store.AppendOptions{})
			if errors.Is(err, store.ErrFenced) {
				return
			}
			if err != nil {
				t.Errorf("old owner's append %d: %v", i, err)
				return
			}
			acked = append(acked, out...)
		}
		t.Errorf("the old owner wrote %d events: the takeover never fenced it", limit)
	})
	<-started
	if _, err := ls.RenewLease(t.Context(), a, leaseShort); err != nil {
		t.Fatal(err)
	}
	b := acquireWhenExpired(t, ls, l.id, "host-b")
	seen := mustEvents(t, s, l.id, 0)
	last := seen[len(seen)-1].Sequence
	// The new owner appends right after the last event it saw.
	mine := mustAppendFenced(t, ls, b, batch(l.event(execution.EventCompleted, "")), store.ExpectSequence(last))
	wg.Wait()
	for _, ev := range acked {
		if ev.Sequence > last {
			t.Errorf("the old owner's acknowledged event %d landed after the takeover's replay (which ended at %d)", ev.Sequence, last)
		}
	}
	if got := mustEvents(t, s, l.id, 0); got[len(got)-1].ID != mine[0].ID {
		t.Errorf("the log ends with %s at %d, not the new owner's event: the old owner wrote after the takeover", got[len(got)-1].EventType, got[len(got)-1].Sequence)
	}
}

func testLeaseBadArguments(t *testing.T, s store.EventStore) {
	ls := leaser(t, s)
	ctx := t.Context()
	for name, call := range map[string]func() error{
		"no execution": func() error { _, err := ls.AcquireLease(ctx, uuid.Nil, "h", leaseLong); return err },
		"no owner":     func() error { _, err := ls.AcquireLease(ctx, uuid.New(), "", leaseLong); return err },
		"zero ttl":     func() error { _, err := ls.AcquireLease(ctx, uuid.New(), "h", 0); return err },
		"negative ttl on renew": func() error {
			_, err := ls.RenewLease(ctx, store.Lease{ExecutionID: uuid.New(), Owner: "h", Token: 1}, -time.Second)
			return err
		},
	} {
		if err := call(); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
