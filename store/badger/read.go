package badger

import (
	"context"
	"fmt"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// view runs fn in a read transaction while holding the store open. A
// panic inside Badger (damaged files) becomes store.ErrCorrupt, and
// Badger's reports of damage are translated to it.
func (s *Store) view(ctx context.Context, what string, fn func(txn *dgbadger.Txn) error) (err error) {
	if err := checkCtx(ctx, what); err != nil {
		return err
	}
	if err := s.readLock(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	defer recovered(&err, what)
	return readError(s.db.View(fn))
}

// Events returns executionID's events with Sequence > after, in order.
func (s *Store) Events(ctx context.Context, executionID uuid.UUID, after uint64) ([]execution.Event, error) {
	var out []execution.Event
	err := s.view(ctx, "read events", func(txn *dgbadger.Txn) error {
		var err error
		out, err = eventsAfter(ctx, txn, executionID, after, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("events of execution %s: %w", executionID, err)
	}
	if out == nil {
		out = []execution.Event{}
	}
	return out, nil
}

// eventsAfter reads exec's events after a sequence; limit 0 means all.
func eventsAfter(ctx context.Context, txn *dgbadger.Txn, exec uuid.UUID, after uint64, limit int) ([]execution.Event, error) {
	opts := dgbadger.DefaultIteratorOptions
	opts.Prefix = eventPrefix(exec)
	opts.PrefetchSize = 16
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []execution.Event
	for it.Seek(eventKey(exec, after+1)); it.Valid(); it.Next() {
		if len(out)%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ev, err := decodeItem(it.Item())
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// LatestEvent returns executionID's last event: one reverse seek to the end
// of its key range.
func (s *Store) LatestEvent(ctx context.Context, executionID uuid.UUID) (execution.Event, error) {
	var ev execution.Event
	err := s.view(ctx, "read latest event", func(txn *dgbadger.Txn) error {
		opts := dgbadger.DefaultIteratorOptions
		opts.Prefix = eventPrefix(executionID)
		opts.Reverse = true
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Seek(eventKey(executionID, ^uint64(0)))
		if !it.Valid() {
			return store.ErrNotFound
		}
		var err error
		ev, err = decodeItem(it.Item())
		return err
	})
	if err != nil {
		return execution.Event{}, fmt.Errorf("latest event of execution %s: %w", executionID, err)
	}
	return ev, nil
}

// Execution returns the summary of one execution.
func (s *Store) Execution(ctx context.Context, executionID uuid.UUID) (store.ExecutionInfo, error) {
	var rec execRecord
	err := s.view(ctx, "read execution", func(txn *dgbadger.Txn) error {
		var found bool
		var err error
		rec, found, err = getExecRecord(txn, executionID)
		if err == nil && !found {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.ExecutionInfo{}, fmt.Errorf("execution %s: %w", executionID, err)
	}
	return rec.info, nil
}

// ListExecutions returns the executions that match f, oldest first. It
// walks the most selective index f allows (parent, then definition, then
// open executions, else all) and checks the rest of f on each record.
func (s *Store) ListExecutions(ctx context.Context, f store.Filter) ([]store.ExecutionInfo, error) {
	prefix := []byte{nsAll}
	carriesRecord := false
	switch {
	case f.Parent != uuid.Nil:
		prefix = append([]byte{nsParent}, f.Parent[:]...)
	case f.DefinitionID != uuid.Nil:
		prefix = append([]byte{nsDef}, f.DefinitionID[:]...)
	case f.OpenOnly:
		prefix, carriesRecord = []byte{nsOpen}, true
	}
	out := []store.ExecutionInfo{}
	err := s.view(ctx, "list executions", func(txn *dgbadger.Txn) error {
		opts := dgbadger.DefaultIteratorOptions
		opts.Prefix = prefix
		opts.PrefetchValues = carriesRecord
		it := txn.NewIterator(opts)
		defer it.Close()
		n := 0
		for it.Seek(prefix); it.Valid(); it.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rec, err := indexedRecord(txn, it.Item(), carriesRecord)
			if err != nil {
				return err
			}
			if f.Matches(rec.info) {
				out = append(out, rec.info)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	return out, nil
}

// indexedRecord returns the record an index entry refers to: its value
// for the open index, which carries a copy, else a lookup.
func indexedRecord(txn *dgbadger.Txn, item *dgbadger.Item, carriesRecord bool) (execRecord, error) {
	exec := execOfIndexKey(item.Key())
	if carriesRecord {
		var rec execRecord
		err := item.Value(func(v []byte) error {
			var derr error
			rec, derr = decodeExecRecord(v)
			return derr
		})
		if err != nil {
			return execRecord{}, fmt.Errorf("open index entry for execution %s: %w", exec, err)
		}
		return rec, nil
	}
	rec, found, err := getExecRecord(txn, exec)
	if err != nil {
		return execRecord{}, err
	}
	if !found {
		return execRecord{}, fmt.Errorf("%w: index entry for execution %s without its record", errCorruptValue, exec)
	}
	return rec, nil
}

// eventsAtPositions reads up to limit events with positions after pos, in
// position order, following the position log.
func eventsAtPositions(ctx context.Context, txn *dgbadger.Txn, after uint64, limit int) ([]execution.Event, error) {
	opts := dgbadger.DefaultIteratorOptions
	opts.Prefix = []byte{nsPosition}
	opts.PrefetchSize = 64
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []execution.Event
	for it.Seek(positionKey(after + 1)); it.Valid() && len(out) < limit; it.Next() {
		var ref eventRef
		var ok bool
		if err := it.Item().Value(func(v []byte) error { ref, ok = decodeEventRef(v); return nil }); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: position log entry %d", errCorruptValue, positionOfKey(it.Item().Key()))
		}
		ev, err := getEvent(txn, ref.exec, ref.seq)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LastPosition returns the position of the newest committed event, 0 when
// the store is empty (store.Positioner).
func (s *Store) LastPosition(ctx context.Context) (uint64, error) {
	if err := checkCtx(ctx, "last position"); err != nil {
		return 0, err
	}
	if err := s.readLock(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	return s.lastPos.Load(), nil
}
