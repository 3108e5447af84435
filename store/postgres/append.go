package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Append implements store.EventStore.
func (s *Store) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	return s.append(ctx, events, opts, nil)
}

// AppendFenced implements store.Leaser.
func (s *Store) AppendFenced(ctx context.Context, l store.Lease, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	return s.append(ctx, events, opts, &l)
}

// append stores one batch in one transaction:
//
//  1. lock the head row (this serialises appends store-wide);
//  2. answer a retry from the stored events (idempotency by unique id);
//  3. with a fence, check the lease's token and expiry (lease row FOR SHARE);
//  4. check the batch against the execution's tail (store.PrepareAppend:
//     expected sequence, created first, terminal finality);
//  5. insert the events with the next positions, write the execution's
//     summary and the new head, NOTIFY, commit.
//
// Because the head lock is held from step 1 to the commit, a transaction
// that takes positions p+1… starts only after the one that took …p has
// committed: positions become visible in order, with no gap a reader
// could skip (an aborted append rolls its head update back too).
func (s *Store) append(ctx context.Context, events []execution.Event, opts store.AppendOptions, fence *store.Lease) ([]execution.Event, error) {
	op := "append"
	if len(events) > 0 {
		op = fmt.Sprintf("append to execution %s", events[0].ExecutionID)
	}
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	var out []execution.Event
	published := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, published, err = s.appendTx(ctx, tx, events, opts, fence)
		return err
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
			// The head lock makes this unreachable; say what it means if
			// the schema was changed under us.
			return nil, fmt.Errorf("%s: %w: %v", op, store.ErrConflict, err)
		}
		if isStoreError(err) {
			return nil, err
		}
		return nil, s.fail(op, err)
	}
	s.count(len(out), published)
	if published {
		s.wake()
	}
	return out, nil
}

// isStoreError reports whether err is one of the store's own verdicts,
// already worded, rather than a database failure.
func isStoreError(err error) bool {
	for _, e := range []error{store.ErrInvalid, store.ErrConflict, store.ErrFinal, store.ErrFenced} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// appendTx is append's transaction body. It reports whether it stored
// anything new.
func (s *Store) appendTx(ctx context.Context, tx pgx.Tx, events []execution.Event, opts store.AppendOptions, fence *store.Lease) ([]execution.Event, bool, error) {
	var head int64
	if err := tx.QueryRow(ctx, s.q.lockHead).Scan(&head); err != nil {
		return nil, false, fmt.Errorf("lock the log head: %w", err)
	}
	stored, err := s.storedAlready(ctx, tx, events)
	if err != nil || stored != nil {
		return stored, false, err
	}
	if fence != nil {
		if err := s.checkFence(ctx, tx, *fence); err != nil {
			return nil, false, err
		}
	}
	var tail store.Tail
	exists := false
	if len(events) > 0 && events[0].ExecutionID != uuid.Nil {
		var last int64
		err := tx.QueryRow(ctx, s.q.tail, events[0].ExecutionID).Scan(&last, &tail.Terminal)
		switch {
		case err == nil:
			exists, tail.LastSequence = true, uint64(last)
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, false, fmt.Errorf("read the execution's tail: %w", err)
		}
	}
	prepared, err := store.PrepareAppend(events, tail, opts, time.Now())
	if err != nil {
		return nil, false, err
	}
	pos := uint64(head)
	for i := range prepared {
		pos++
		prepared[i].Position = pos
	}
	if err := s.write(ctx, tx, prepared, exists, uint64(head)+1); err != nil {
		return nil, false, err
	}
	return prepared, true, nil
}

// write sends the inserts and updates of a prepared batch in one round
// trip.
func (s *Store) write(ctx context.Context, tx pgx.Tx, evs []execution.Event, exists bool, firstPos uint64) error {
	var b pgx.Batch
	last := evs[len(evs)-1]
	terminal := false
	for _, ev := range evs {
		terminal = terminal || ev.EventType.IsTerminal()
	}
	if exists {
		b.Queue(s.q.updateExecution, last.ExecutionID, int64(last.Sequence), terminal)
	} else {
		info := store.InfoFromCreated(evs[0])
		info.LastSequence, info.Terminal = last.Sequence, terminal
		b.Queue(s.q.insertExecution, executionArgs(info, firstPos)...)
	}
	for _, ev := range evs {
		args, err := eventArgs(ev)
		if err != nil {
			return err
		}
		b.Queue(s.q.insertEvent, args...)
	}
	b.Queue(s.q.setHead, int64(last.Position))
	if s.opts.Notify {
		b.Queue(s.q.notify, s.q.channel)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write %d events: %w", len(evs), err)
	}
	return nil
}

// storedAlready implements idempotency: if every event's id is stored it
// returns the stored events; if none is, nil; a mix is ErrInvalid.
func (s *Store) storedAlready(ctx context.Context, tx pgx.Tx, events []execution.Event) ([]execution.Event, error) {
	ids := make([]uuid.UUID, 0, len(events))
	for _, ev := range events {
		if ev.ID != uuid.Nil {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, s.q.eventsByID, ids)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	found, err := collectEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	byID := make(map[uuid.UUID]execution.Event, len(found))
	for _, ev := range found {
		byID[ev.ID] = ev
	}
	out := make([]execution.Event, 0, len(events))
	for _, ev := range events {
		got, ok := byID[ev.ID]
		if ok && got.ExecutionID != ev.ExecutionID {
			return nil, fmt.Errorf("%w: event %s for execution %s is already stored in execution %s",
				store.ErrInvalid, ev.ID, ev.ExecutionID, got.ExecutionID)
		}
		if ok {
			out = append(out, got)
		}
	}
	if len(out) < len(events) {
		return nil, fmt.Errorf("%w: execution %s: %d of the %d events are already stored (a retry must resend the same events)",
			store.ErrInvalid, events[0].ExecutionID, len(out), len(events))
	}
	return out, nil
}
