package badger

import (
	"errors"
	"fmt"
	"time"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// prepare checks one append against the state txn sees (the committed
// store plus the earlier appends of this batch) and encodes its writes:
// the events, the event-id and position indexes, the execution record and
// the execution indexes. pos is the last position assigned so far.
func (s *Store) prepare(txn *dgbadger.Txn, r *writeRequest, pos uint64, now time.Time) (_ *pendingAppend, err error) {
	defer recovered(&err, "check append")
	defer func() { err = readError(err) }()
	stored, err := storedAlready(txn, r.events)
	if err != nil {
		return nil, err
	}
	if stored != nil {
		return &pendingAppend{req: r, events: stored, lastPos: pos, noop: true}, nil
	}
	var rec execRecord
	exists := false
	if len(r.events) > 0 && r.events[0].ExecutionID != uuid.Nil {
		rec, exists, err = getExecRecord(txn, r.events[0].ExecutionID)
		if err != nil {
			return nil, err
		}
	}
	tail := store.Tail{LastSequence: rec.info.LastSequence, Terminal: rec.info.Terminal}
	events, err := store.PrepareAppend(r.events, tail, r.opts, now)
	if err != nil {
		return nil, err
	}
	p := &pendingAppend{req: r, events: events, writes: make([]write, 0, 3*len(events)+5)}
	for i := range events {
		pos++
		events[i].Position = pos
		if err := p.addEvent(events[i]); err != nil {
			return nil, err
		}
	}
	p.lastPos = pos
	p.addExecution(rec, exists)
	return p, nil
}

func (p *pendingAppend) addEvent(ev execution.Event) error {
	enc, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	ref := eventRef{exec: ev.ExecutionID, seq: ev.Sequence}.encode()
	p.set(eventKey(ev.ExecutionID, ev.Sequence), enc)
	p.set(eventIDKey(ev.ID), ref)
	p.set(positionKey(ev.Position), ref)
	return nil
}

// addExecution writes the execution record with the new tail and keeps
// the execution indexes in step: a new execution enters the all, parent,
// definition and open indexes; a terminal event removes it from the open
// index in this same transaction.
func (p *pendingAppend) addExecution(rec execRecord, exists bool) {
	first, last := p.events[0], p.events[len(p.events)-1]
	wasOpen := exists && !rec.info.Terminal
	if !exists {
		rec = execRecord{info: store.InfoFromCreated(first), createdPos: first.Position}
		info := rec.info
		p.set(orderedExecKey(nsAll, nil, rec.createdPos, info.ID), nil)
		if info.Parent != uuid.Nil {
			p.set(orderedExecKey(nsParent, &info.Parent, rec.createdPos, info.ID), nil)
		}
		if info.DefinitionID != uuid.Nil {
			p.set(orderedExecKey(nsDef, &info.DefinitionID, rec.createdPos, info.ID), nil)
		}
	}
	rec.info.LastSequence = last.Sequence
	for _, ev := range p.events {
		if ev.EventType.IsTerminal() {
			rec.info.Terminal = true
		}
	}
	// The open index carries a copy of the record, so listing the open
	// executions (what recovery does at every start) is one sequential
	// scan rather than a lookup per execution.
	openKey := orderedExecKey(nsOpen, nil, rec.createdPos, rec.info.ID)
	enc := encodeExecRecord(rec)
	switch {
	case !rec.info.Terminal:
		p.set(openKey, enc)
	case wasOpen:
		p.del(openKey)
	}
	p.set(execKey(rec.info.ID), enc)
}

// storedAlready implements idempotency: if every event's id is stored it
// returns the stored events; if none is it returns nil; a mix is an error.
func storedAlready(txn *dgbadger.Txn, events []execution.Event) ([]execution.Event, error) {
	var refs []eventRef
	var missing int
	for _, ev := range events {
		if ev.ID == uuid.Nil {
			missing++
			continue
		}
		ref, found, err := getEventRef(txn, ev.ID)
		if err != nil {
			return nil, err
		}
		if !found {
			missing++
			continue
		}
		if ref.exec != ev.ExecutionID {
			return nil, fmt.Errorf("%w: event %s for execution %s is already stored in execution %s",
				store.ErrInvalid, ev.ID, ev.ExecutionID, ref.exec)
		}
		refs = append(refs, ref)
	}
	switch {
	case len(refs) == 0:
		return nil, nil
	case missing > 0:
		return nil, fmt.Errorf("%w: execution %s: %d of the %d events are already stored (a retry must resend the same events)",
			store.ErrInvalid, events[0].ExecutionID, len(refs), len(events))
	}
	out := make([]execution.Event, len(refs))
	for i, ref := range refs {
		ev, err := getEvent(txn, ref.exec, ref.seq)
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

func getEventRef(txn *dgbadger.Txn, id uuid.UUID) (eventRef, bool, error) {
	item, err := txn.Get(eventIDKey(id))
	if errors.Is(err, dgbadger.ErrKeyNotFound) {
		return eventRef{}, false, nil
	}
	if err != nil {
		return eventRef{}, false, fmt.Errorf("read event id index for %s: %w", id, err)
	}
	var ref eventRef
	var ok bool
	if err := item.Value(func(v []byte) error { ref, ok = decodeEventRef(v); return nil }); err != nil {
		return eventRef{}, false, fmt.Errorf("read event id index for %s: %w", id, err)
	}
	if !ok {
		return eventRef{}, false, fmt.Errorf("%w: event id index entry for %s", errCorruptValue, id)
	}
	return ref, true, nil
}

func getExecRecord(txn *dgbadger.Txn, exec uuid.UUID) (execRecord, bool, error) {
	item, err := txn.Get(execKey(exec))
	if errors.Is(err, dgbadger.ErrKeyNotFound) {
		return execRecord{}, false, nil
	}
	if err != nil {
		return execRecord{}, false, fmt.Errorf("read execution %s: %w", exec, err)
	}
	var rec execRecord
	err = item.Value(func(v []byte) error {
		var derr error
		rec, derr = decodeExecRecord(v)
		return derr
	})
	if err != nil {
		return execRecord{}, false, fmt.Errorf("read execution %s: %w", exec, err)
	}
	return rec, true, nil
}

func getEvent(txn *dgbadger.Txn, exec uuid.UUID, seq uint64) (execution.Event, error) {
	item, err := txn.Get(eventKey(exec, seq))
	if err != nil {
		return execution.Event{}, fmt.Errorf("read event %d of execution %s: %w", seq, exec, err)
	}
	return decodeItem(item)
}

// decodeItem reads and checks one stored event. A value that fails its
// checksum, or that Badger cannot read, is an error naming the execution
// and sequence (store.ErrCorrupt), never an event; so is an event whose
// own ids disagree with the key it is stored under.
func decodeItem(item *dgbadger.Item) (execution.Event, error) {
	key := item.Key()
	if len(key) != 25 {
		return execution.Event{}, fmt.Errorf("%w: event key %x has length %d", store.ErrCorrupt, key, len(key))
	}
	exec, seq := execOfEventKey(key), seqOfEventKey(key)
	var ev execution.Event
	err := item.Value(func(v []byte) error {
		var derr error
		ev, derr = decodeEvent(v)
		return derr
	})
	if err == nil && (ev.ExecutionID != exec || ev.Sequence != seq) {
		err = fmt.Errorf("%w: the value stored under this key is event %d of execution %s", store.ErrCorrupt, ev.Sequence, ev.ExecutionID)
	}
	if err != nil {
		return execution.Event{}, fmt.Errorf("event %d of execution %s: %w", seq, exec, readError(err))
	}
	return ev, nil
}
