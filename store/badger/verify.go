package badger

import (
	"context"
	"errors"
	"fmt"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// ErrInconsistent: Verify found the streams and indexes disagreeing.
var ErrInconsistent = errors.New("event store is inconsistent")

// VerifyReport summarises what Verify checked.
type VerifyReport struct {
	Executions     int
	OpenExecutions int
	Events         int
	LastPosition   uint64
}

// Verify checks, on one consistent snapshot, that the streams and every
// index agree: each execution's sequences run 1, 2, 3, … starting with
// created; nothing but administrative events follows a terminal event;
// every event is in the event-id index and the position log and both point
// back at it, with nothing else in them; each execution record matches its
// stream; the open index holds exactly the executions without a terminal
// event; and the all/parent/definition indexes hold exactly one entry per
// execution. Appends may continue while it runs. It reads the whole store
// once, so it takes about as long as a backup.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	var rep VerifyReport
	err := s.view(ctx, "verify", func(txn *dgbadger.Txn) error {
		v := verifier{ctx: ctx, txn: txn}
		if err := v.streams(&rep); err != nil {
			return err
		}
		return v.indexes(&rep)
	})
	if err != nil {
		return rep, fmt.Errorf("verify event store in %s: %w", s.where(), err)
	}
	return rep, nil
}

type verifier struct {
	ctx context.Context
	txn *dgbadger.Txn
	// expected index sizes, from the execution records
	parents, defs int
}

func inconsistent(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInconsistent, fmt.Sprintf(format, args...))
}

// streams walks every event in key order, one execution after another.
func (v *verifier) streams(rep *VerifyReport) error {
	it := v.txn.NewIterator(dgbadger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: []byte{nsEvent}})
	defer it.Close()
	var cur []execution.Event
	var curExec uuid.UUID
	for it.Rewind(); it.Valid(); it.Next() {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		key := it.Item().Key()
		if len(key) != 25 {
			return inconsistent("event key %x has length %d", key, len(key))
		}
		exec := execOfEventKey(key)
		if exec != curExec && cur != nil {
			if err := v.execution(curExec, cur, rep); err != nil {
				return err
			}
			cur = cur[:0]
		}
		curExec = exec
		ev, err := decodeItem(it.Item())
		if err != nil {
			return err
		}
		if ev.ExecutionID != exec || ev.Sequence != seqOfEventKey(key) {
			return inconsistent("event under key (%s, %d) says (%s, %d)", exec, seqOfEventKey(key), ev.ExecutionID, ev.Sequence)
		}
		if err := v.eventIndexes(ev); err != nil {
			return err
		}
		rep.Events++
		rep.LastPosition = max(rep.LastPosition, ev.Position)
		cur = append(cur, ev)
	}
	if cur != nil {
		return v.execution(curExec, cur, rep)
	}
	return nil
}

func execOfEventKey(k []byte) uuid.UUID {
	var id uuid.UUID
	copy(id[:], k[1:17])
	return id
}

// eventIndexes checks that the event-id index and the position log point
// at ev.
func (v *verifier) eventIndexes(ev execution.Event) error {
	want := eventRef{exec: ev.ExecutionID, seq: ev.Sequence}
	ref, found, err := getEventRef(v.txn, ev.ID)
	if err != nil {
		return err
	}
	if !found || ref != want {
		return inconsistent("event %s (%s #%d) is missing from the event-id index or points elsewhere", ev.ID, ev.ExecutionID, ev.Sequence)
	}
	item, err := v.txn.Get(positionKey(ev.Position))
	if err != nil {
		return inconsistent("event %s (%s #%d): position %d not in the position log: %v", ev.ID, ev.ExecutionID, ev.Sequence, ev.Position, err)
	}
	var got eventRef
	var ok bool
	if err := item.Value(func(b []byte) error { got, ok = decodeEventRef(b); return nil }); err != nil {
		return err
	}
	if !ok || got != want {
		return inconsistent("position %d points at (%s, %d), not at event %s", ev.Position, got.exec, got.seq, ev.ID)
	}
	return nil
}

// execution checks one stream against the append rules and its record.
func (v *verifier) execution(exec uuid.UUID, evs []execution.Event, rep *VerifyReport) error {
	terminal := false
	for i, ev := range evs {
		if ev.Sequence != uint64(i)+1 {
			return inconsistent("execution %s: event %d has sequence %d (gap or duplicate)", exec, i+1, ev.Sequence)
		}
		if (i == 0) != (ev.EventType == execution.EventCreated) {
			return inconsistent("execution %s: %s at sequence %d", exec, ev.EventType, ev.Sequence)
		}
		if terminal && !ev.IsAdministrative() {
			return inconsistent("execution %s: %s at sequence %d after its terminal event", exec, ev.EventType, ev.Sequence)
		}
		terminal = terminal || ev.EventType.IsTerminal()
	}
	rec, found, err := getExecRecord(v.txn, exec)
	if err != nil {
		return err
	}
	want := store.InfoFromCreated(evs[0])
	want.LastSequence, want.Terminal = uint64(len(evs)), terminal
	switch {
	case !found:
		return inconsistent("execution %s has events but no record", exec)
	case !rec.info.CreatedAt.Equal(want.CreatedAt):
		return inconsistent("execution %s: record created_at %s, created event says %s", exec, rec.info.CreatedAt, want.CreatedAt)
	case rec.createdPos != evs[0].Position:
		return inconsistent("execution %s: record created position %d, created event has %d", exec, rec.createdPos, evs[0].Position)
	}
	rec.info.CreatedAt = want.CreatedAt
	if rec.info != want {
		return inconsistent("execution %s: record %+v, stream says %+v", exec, rec.info, want)
	}
	rep.Executions++
	if !terminal {
		rep.OpenExecutions++
	}
	return v.execIndexes(rec)
}

// execIndexes checks that rec's index entries exist (and the open one only
// while it is open).
func (v *verifier) execIndexes(rec execRecord) error {
	info := rec.info
	has := func(k []byte) bool { _, err := v.txn.Get(k); return err == nil }
	if !has(orderedExecKey(nsAll, nil, rec.createdPos, info.ID)) {
		return inconsistent("execution %s missing from the all-executions index", info.ID)
	}
	openItem, err := v.txn.Get(orderedExecKey(nsOpen, nil, rec.createdPos, info.ID))
	if open := err == nil; open == info.Terminal {
		return inconsistent("execution %s: terminal=%v but open index entry present=%v", info.ID, info.Terminal, open)
	}
	if err == nil {
		copyOK := false
		if verr := openItem.Value(func(b []byte) error {
			// Compare decoded: a store written before record checksums
			// holds version 1 copies.
			cp, err := decodeExecRecord(b)
			copyOK = err == nil && cp.createdPos == rec.createdPos && cp.info.CreatedAt.Equal(rec.info.CreatedAt)
			cp.info.CreatedAt = rec.info.CreatedAt
			copyOK = copyOK && cp.info == rec.info
			return nil
		}); verr != nil {
			return verr
		}
		if !copyOK {
			return inconsistent("execution %s: the open index carries a stale copy of its record", info.ID)
		}
	}
	if info.Parent != uuid.Nil {
		v.parents++
		if !has(orderedExecKey(nsParent, &info.Parent, rec.createdPos, info.ID)) {
			return inconsistent("execution %s missing from the index of parent %s", info.ID, info.Parent)
		}
	}
	if info.DefinitionID != uuid.Nil {
		v.defs++
		if !has(orderedExecKey(nsDef, &info.DefinitionID, rec.createdPos, info.ID)) {
			return inconsistent("execution %s missing from the index of definition %s", info.ID, info.DefinitionID)
		}
	}
	return nil
}

// indexes checks that no index holds more than the streams account for.
func (v *verifier) indexes(rep *VerifyReport) error {
	counts := []struct {
		ns   byte
		name string
		want int
	}{
		{nsEventID, "event-id index", rep.Events},
		{nsPosition, "position log", rep.Events},
		{nsExec, "execution records", rep.Executions},
		{nsOpen, "open-executions index", rep.OpenExecutions},
		{nsAll, "all-executions index", rep.Executions},
		{nsParent, "parent index", v.parents},
		{nsDef, "definition index", v.defs},
	}
	for _, c := range counts {
		n, err := v.count(c.ns)
		if err != nil {
			return err
		}
		if n != c.want {
			return inconsistent("%s holds %d entries, the streams account for %d", c.name, n, c.want)
		}
	}
	return nil
}

func (v *verifier) count(ns byte) (int, error) {
	it := v.txn.NewIterator(dgbadger.IteratorOptions{Prefix: []byte{ns}})
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if n++; n%4096 == 0 {
			if err := v.ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
