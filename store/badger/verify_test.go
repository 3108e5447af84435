package badger

import (
	"context"
	"errors"
	"testing"

	dgbadger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// TestVerifyFindsDamage damages one index at a time, behind the store's
// back, and expects Verify to name the damage.
func TestVerifyFindsDamage(t *testing.T) {
	type fixture struct {
		open, done []execution.Event // an open and a completed execution
	}
	tests := []struct {
		name   string
		damage func(txn *dgbadger.Txn, f fixture) error
	}{
		{"open index entry removed", func(txn *dgbadger.Txn, f fixture) error {
			return txn.Delete(orderedExecKey(nsOpen, nil, f.open[0].Position, f.open[0].ExecutionID))
		}},
		{"terminal execution still open", func(txn *dgbadger.Txn, f fixture) error {
			rec, _, err := getExecRecord(txn, f.done[0].ExecutionID)
			if err != nil {
				return err
			}
			return txn.Set(orderedExecKey(nsOpen, nil, f.done[0].Position, f.done[0].ExecutionID), encodeExecRecord(rec))
		}},
		{"event id missing", func(txn *dgbadger.Txn, f fixture) error { return txn.Delete(eventIDKey(f.open[1].ID)) }},
		{"stray event id", func(txn *dgbadger.Txn, f fixture) error {
			return txn.Set(eventIDKey(uuid.New()), eventRef{exec: f.open[0].ExecutionID, seq: 1}.encode())
		}},
		{"position missing", func(txn *dgbadger.Txn, f fixture) error { return txn.Delete(positionKey(f.done[1].Position)) }},
		{"stray position", func(txn *dgbadger.Txn, f fixture) error {
			return txn.Set(positionKey(999), eventRef{exec: f.open[0].ExecutionID, seq: 1}.encode())
		}},
		{"gap in a stream", func(txn *dgbadger.Txn, f fixture) error {
			return txn.Delete(eventKey(f.open[0].ExecutionID, 2))
		}},
		{"record behind its stream", func(txn *dgbadger.Txn, f fixture) error {
			rec, _, err := getExecRecord(txn, f.open[0].ExecutionID)
			rec.info.LastSequence--
			if err != nil {
				return err
			}
			return txn.Set(execKey(rec.info.ID), encodeExecRecord(rec))
		}},
		{"stale open index copy", func(txn *dgbadger.Txn, f fixture) error {
			rec, _, err := getExecRecord(txn, f.open[0].ExecutionID)
			rec.info.LastSequence = 1
			if err != nil {
				return err
			}
			return txn.Set(orderedExecKey(nsOpen, nil, rec.createdPos, rec.info.ID), encodeExecRecord(rec))
		}},
		{"definition index entry removed", func(txn *dgbadger.Txn, f fixture) error {
			info := store.InfoFromCreated(f.done[0])
			return txn.Delete(orderedExecKey(nsDef, &info.DefinitionID, f.done[0].Position, info.ID))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenInMemory(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			var f fixture
			for i, list := range []*[]execution.Event{&f.open, &f.done} {
				exec := uuid.New()
				created, _ := execution.NewEvent(exec, execution.EventCreated, nil,
					execution.Created{Kind: execution.KindBlock, WorkBlockID: uuid.New(), FlowExecutionID: uuid.New()})
				started, _ := execution.NewEvent(exec, execution.EventStarted, nil, nil)
				evs := []execution.Event{created, started}
				if i == 1 {
					done, _ := execution.NewEvent(exec, execution.EventCompleted, nil, nil)
					evs = append(evs, done)
				}
				if *list, err = s.Append(ctx, evs, store.AppendOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Verify(ctx); err != nil {
				t.Fatalf("Verify before damage: %v", err)
			}
			if err := s.db.Update(func(txn *dgbadger.Txn) error { return tt.damage(txn, f) }); err != nil {
				t.Fatal(err)
			}
			_, err = s.Verify(ctx)
			if !errors.Is(err, ErrInconsistent) {
				t.Fatalf("Verify after damage = %v, want ErrInconsistent", err)
			}
			t.Logf("Verify: %v", err)
		})
	}
}
