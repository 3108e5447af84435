package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// groupState is what one group transaction knows while it judges its
// requests in order: the log as read under the head lock, plus the
// batches it has accepted so far, so a later request sees an earlier one
// exactly as if they had been two transactions.
type groupState struct {
	head   uint64
	byID   map[uuid.UUID]execution.Event
	tails  map[uuid.UUID]*groupTail
	leases map[uuid.UUID]leaseRow
	// accepted lists the batches to write, in position order.
	accepted [][]execution.Event
}

// groupTail is one execution's tail during the group.
type groupTail struct {
	store.Tail
	stored bool // the executions row exists (else it is inserted)
	dirty  bool // the group appended to it
	// info is the summary of an execution the group creates.
	info            store.ExecutionInfo
	createdPosition uint64
}

type leaseRow struct {
	token uint64
	live  bool
}

// groupTx is commitGroup's transaction body:
//
//  1. one round trip: lock the head row (this serialises appends
//     store-wide), read the stored events with the requests' ids, the
//     tails of their executions and, FOR SHARE, the leases they are
//     fenced by;
//  2. judge each request in order (idempotency by unique id, fence,
//     store.PrepareAppend: expected sequence, created first, terminal
//     finality), numbering accepted events from the head;
//  3. one round trip: insert the events, write the executions' summaries
//     and the new head, NOTIFY.
//
// The head lock is held to the commit, so a transaction that takes
// positions p+1… starts only after the one that took …p has committed:
// positions become visible in order, with no gap a reader could skip.
//
// The transaction's BEGIN travels in the first round trip and its COMMIT
// in the second, so a group costs two round trips, one of which waits for
// the WAL flush. On any error the caller rolls back.
func (s *Store) groupTx(ctx context.Context, conn batcher, group []*appendRequest) ([]appendResult, int, error) {
	g, err := s.readGroup(ctx, conn, group)
	if err != nil {
		return nil, 0, err
	}
	results := make([]appendResult, len(group))
	now := time.Now()
	for i, r := range group {
		evs, fromLog, err := g.judge(r, now)
		if err != nil {
			results[i] = appendResult{err: fmt.Errorf("%s: %w", r.op, err)}
			continue
		}
		r.fromLog = fromLog
		results[i] = appendResult{events: evs}
	}
	if len(g.accepted) == 0 {
		// Nothing to write: end the transaction (its locks) all the same.
		if err := conn.SendBatch(ctx, commitOnly()).Close(); err != nil {
			return nil, 0, fmt.Errorf("commit: %w", err)
		}
		return results, 0, nil
	}
	if err := s.writeGroup(ctx, conn, g); err != nil {
		return nil, 0, err
	}
	return results, len(g.accepted), nil
}

// readGroup is step 1 of groupTx.
func (s *Store) readGroup(ctx context.Context, conn batcher, group []*appendRequest) (*groupState, error) {
	var ids, execs, leased []uuid.UUID
	for _, r := range group {
		for _, ev := range r.events {
			if ev.ID != uuid.Nil {
				ids = append(ids, ev.ID)
			}
		}
		if len(r.events) > 0 && r.events[0].ExecutionID != uuid.Nil {
			execs = append(execs, r.events[0].ExecutionID)
		}
		if r.fence != nil {
			leased = append(leased, r.fence.ExecutionID)
		}
	}
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(s.q.lockHead)
	b.Queue(s.q.eventsByID, ids)
	b.Queue(s.q.tails, execs)
	if len(leased) > 0 {
		b.Queue(s.q.fences, leased)
	}
	br := conn.SendBatch(ctx, &b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	g := &groupState{
		byID:   map[uuid.UUID]execution.Event{},
		tails:  map[uuid.UUID]*groupTail{},
		leases: map[uuid.UUID]leaseRow{},
	}
	var head int64
	if err := br.QueryRow().Scan(&head); err != nil {
		return nil, fmt.Errorf("lock the log head: %w", err)
	}
	g.head = uint64(head)
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	stored, err := collectEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	for _, ev := range stored {
		g.byID[ev.ID] = ev
	}
	if err := g.readTails(br); err != nil {
		return nil, err
	}
	if len(leased) > 0 {
		if err := g.readLeases(br); err != nil {
			return nil, err
		}
	}
	return g, br.Close()
}

func (g *groupState) readTails(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("read execution tails: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var last int64
		var terminal bool
		if err := rows.Scan(&id, &last, &terminal); err != nil {
			return fmt.Errorf("read execution tails: %w", err)
		}
		g.tails[id] = &groupTail{Tail: store.Tail{LastSequence: uint64(last), Terminal: terminal}, stored: true}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read execution tails: %w", err)
	}
	return nil
}

func (g *groupState) readLeases(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var token int64
		var live bool
		if err := rows.Scan(&id, &token, &live); err != nil {
			return fmt.Errorf("read leases: %w", err)
		}
		g.leases[id] = leaseRow{token: uint64(token), live: live}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read leases: %w", err)
	}
	return nil
}

// judge is step 2 for one request: it returns the stored events for a
// retry, the accepted events for a new batch, or the store's verdict.
func (g *groupState) judge(r *appendRequest, now time.Time) ([]execution.Event, bool, error) {
	stored, err := g.storedAlready(r.events)
	if err != nil || stored != nil {
		return stored, stored != nil, err
	}
	if r.fence != nil {
		if err := g.checkFence(*r.fence); err != nil {
			return nil, false, err
		}
	}
	var tail *groupTail
	if len(r.events) > 0 {
		tail = g.tails[r.events[0].ExecutionID]
	}
	var t store.Tail
	if tail != nil {
		t = tail.Tail
	}
	prepared, err := store.PrepareAppend(r.events, t, r.opts, now)
	if err != nil {
		return nil, false, err
	}
	for i := range prepared {
		g.head++
		prepared[i].Position = g.head
		g.byID[prepared[i].ID] = prepared[i]
	}
	g.accept(tail, prepared)
	return prepared, false, nil
}

// accept records an accepted batch and moves its execution's tail.
func (g *groupState) accept(tail *groupTail, evs []execution.Event) {
	first, last := evs[0], evs[len(evs)-1]
	if tail == nil {
		tail = &groupTail{info: store.InfoFromCreated(first), createdPosition: first.Position}
		g.tails[first.ExecutionID] = tail
	}
	tail.LastSequence, tail.dirty = last.Sequence, true
	for _, ev := range evs {
		tail.Terminal = tail.Terminal || ev.EventType.IsTerminal()
	}
	g.accepted = append(g.accepted, evs)
}

// storedAlready implements idempotency: if every event's id is stored
// (before or earlier in the group) it returns the stored events; if none
// is, nil; a mix is ErrInvalid.
func (g *groupState) storedAlready(events []execution.Event) ([]execution.Event, error) {
	var out []execution.Event
	for _, ev := range events {
		got, ok := g.byID[ev.ID]
		if !ok || ev.ID == uuid.Nil {
			continue
		}
		if got.ExecutionID != ev.ExecutionID {
			return nil, fmt.Errorf("%w: event %s for execution %s is already stored in execution %s",
				store.ErrInvalid, ev.ID, ev.ExecutionID, got.ExecutionID)
		}
		out = append(out, got)
	}
	switch {
	case len(out) == 0:
		return nil, nil
	case len(out) < len(events):
		return nil, fmt.Errorf("%w: execution %s: %d of the %d events are already stored (a retry must resend the same events)",
			store.ErrInvalid, events[0].ExecutionID, len(out), len(events))
	}
	return out, nil
}

// checkFence is the fencing check of AppendFenced.
func (g *groupState) checkFence(l store.Lease) error {
	row, ok := g.leases[l.ExecutionID]
	switch {
	case !ok:
		return fmt.Errorf("%w: execution %s has no lease (token %d was never issued)", store.ErrFenced, l.ExecutionID, l.Token)
	case row.token != l.Token:
		return fmt.Errorf("%w: lease on %s is at token %d, the append carries %d", store.ErrFenced, l.ExecutionID, row.token, l.Token)
	case !row.live:
		return fmt.Errorf("%w: lease on %s (token %d) has expired or was released", store.ErrFenced, l.ExecutionID, l.Token)
	}
	return nil
}

// writeGroup is step 3 of groupTx.
func (s *Store) writeGroup(ctx context.Context, conn batcher, g *groupState) error {
	var b pgx.Batch
	n := 0
	// Executions first: events reference them.
	for id, t := range g.tails {
		switch {
		case !t.dirty:
		case t.stored:
			b.Queue(s.q.updateExecution, id, int64(t.LastSequence), t.Terminal)
		default:
			info := t.info
			info.LastSequence, info.Terminal = t.LastSequence, t.Terminal
			b.Queue(s.q.insertExecution, executionArgs(info, t.createdPosition)...)
		}
	}
	for _, evs := range g.accepted {
		for _, ev := range evs {
			args, err := eventArgs(ev)
			if err != nil {
				return err
			}
			b.Queue(s.q.insertEvent, args...)
			n++
		}
	}
	b.Queue(s.q.setHead, int64(g.head))
	if s.opts.Notify {
		b.Queue(s.q.notify, s.q.channel)
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write %d events and commit: %w", n, err)
	}
	return nil
}

// batcher is what a group transaction needs of its connection.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func commitOnly() *pgx.Batch {
	var b pgx.Batch
	b.Queue("COMMIT")
	return &b
}
