package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// splitTime cuts t into what timestamptz holds (whole microseconds) and
// the nanoseconds below, which PostgreSQL would round away.
func splitTime(t time.Time) (time.Time, int16) {
	t = t.UTC()
	micro := t.Truncate(time.Microsecond)
	return micro, int16(t.Sub(micro))
}

func joinTime(micro time.Time, ns int16) time.Time {
	return micro.UTC().Add(time.Duration(ns))
}

// nullableUUID stores uuid.Nil as NULL.
func nullableUUID(id uuid.UUID) pgtype.UUID {
	return pgtype.UUID{Bytes: id, Valid: id != uuid.Nil}
}

func fromNullable(id pgtype.UUID) uuid.UUID {
	if !id.Valid {
		return uuid.Nil
	}
	return id.Bytes
}

// eventArgs are the insertEvent arguments of ev, in eventColumns order.
func eventArgs(ev execution.Event) ([]any, error) {
	var executor, metadata []byte
	var err error
	if ev.Executor != nil {
		if executor, err = json.Marshal(ev.Executor); err != nil {
			return nil, fmt.Errorf("%w: event %s: executor: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	if ev.Metadata != nil {
		if metadata, err = json.Marshal(ev.Metadata); err != nil {
			return nil, fmt.Errorf("%w: event %s: metadata: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	at, ns := splitTime(ev.Timestamp)
	return []any{
		ev.ExecutionID, int64(ev.Sequence), int64(ev.Position), ev.ID, string(ev.EventType),
		at, ns, jsonArg(executor), ev.Payload, jsonArg(metadata),
	}, nil
}

// jsonArg passes encoded JSON to a json column, nil as NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// scanEvent reads one row of eventColumns.
func scanEvent(row pgx.Row) (execution.Event, error) {
	var (
		ev                 execution.Event
		seq, pos           int64
		typ                string
		at                 time.Time
		ns                 int16
		executor, metadata []byte
		payload            []byte
	)
	if err := row.Scan(&ev.ExecutionID, &seq, &pos, &ev.ID, &typ, &at, &ns, &executor, &payload, &metadata); err != nil {
		return ev, err
	}
	ev.Sequence, ev.Position = uint64(seq), uint64(pos)
	ev.EventType = execution.EventType(typ)
	ev.Timestamp = joinTime(at, ns)
	ev.Payload = payload
	if executor != nil {
		ev.Executor = new(execution.ExecutorInfo)
		if err := json.Unmarshal(executor, ev.Executor); err != nil {
			return ev, fmt.Errorf("event %s: stored executor: %w", ev.ID, err)
		}
	}
	if metadata != nil {
		if err := json.Unmarshal(metadata, &ev.Metadata); err != nil {
			return ev, fmt.Errorf("event %s: stored metadata: %w", ev.ID, err)
		}
	}
	return ev, nil
}

// collectEvents reads every row of rows as an event.
func collectEvents(rows pgx.Rows) ([]execution.Event, error) {
	out := []execution.Event{}
	defer rows.Close()
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// executionArgs are the insertExecution arguments of info, in
// executionColumns order followed by the created position.
func executionArgs(info store.ExecutionInfo, createdPosition uint64) []any {
	at, ns := splitTime(info.CreatedAt)
	return []any{
		info.ID, string(info.Kind), nullableUUID(info.Parent), nullableUUID(info.DefinitionID),
		info.DefinitionVersion, int64(info.LastSequence), info.Terminal, at, ns, int64(createdPosition),
	}
}

// scanExecution reads one row of executionColumns.
func scanExecution(row pgx.Row) (store.ExecutionInfo, error) {
	var (
		info        store.ExecutionInfo
		kind        string
		parent, def pgtype.UUID
		last        int64
		at          time.Time
		ns          int16
	)
	if err := row.Scan(&info.ID, &kind, &parent, &def, &info.DefinitionVersion, &last, &info.Terminal, &at, &ns); err != nil {
		return info, err
	}
	info.Kind = execution.Kind(kind)
	info.Parent, info.DefinitionID = fromNullable(parent), fromNullable(def)
	info.LastSequence = uint64(last)
	info.CreatedAt = joinTime(at, ns)
	return info, nil
}
