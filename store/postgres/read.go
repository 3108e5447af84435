package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Events implements store.EventStore.
func (s *Store) Events(ctx context.Context, executionID uuid.UUID, after uint64) ([]execution.Event, error) {
	op := fmt.Sprintf("events of %s", executionID)
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q.eventsAfter, executionID, clampAfter(after))
	if err != nil {
		return nil, s.fail(op, err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return evs, nil
}

// LatestEvent implements store.EventStore.
func (s *Store) LatestEvent(ctx context.Context, executionID uuid.UUID) (execution.Event, error) {
	op := fmt.Sprintf("latest event of %s", executionID)
	if err := s.begin(ctx, op); err != nil {
		return execution.Event{}, err
	}
	ev, err := scanEvent(s.pool.QueryRow(ctx, s.q.latestEvent, executionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return execution.Event{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return execution.Event{}, s.fail(op, err)
	}
	return ev, nil
}

// Execution implements store.EventStore.
func (s *Store) Execution(ctx context.Context, executionID uuid.UUID) (store.ExecutionInfo, error) {
	op := fmt.Sprintf("execution %s", executionID)
	if err := s.begin(ctx, op); err != nil {
		return store.ExecutionInfo{}, err
	}
	info, err := scanExecution(s.pool.QueryRow(ctx, s.q.execution, executionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ExecutionInfo{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.ExecutionInfo{}, s.fail(op, err)
	}
	return info, nil
}

// ListExecutions implements store.EventStore from the executions table's
// indexes (open, parent, definition, kind; each ordered by the position of
// the execution's first event).
func (s *Store) ListExecutions(ctx context.Context, f store.Filter) ([]store.ExecutionInfo, error) {
	const op = "list executions"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	query, args := s.listQuery(f)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out := []store.ExecutionInfo{}
	for rows.Next() {
		info, err := scanExecution(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// listQuery writes only the clauses f sets, so the planner sees plain
// equalities and picks the matching index (a generic plan over
// "$1 IS NULL OR parent = $1" could not use the partial ones).
func (s *Store) listQuery(f store.Filter) (string, []any) {
	var where []string
	var args []any
	add := func(clause string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(clause, len(args)))
	}
	if f.OpenOnly {
		where = append(where, "NOT terminal")
	}
	if f.Parent != uuid.Nil {
		add("parent = $%d", f.Parent)
	}
	if f.DefinitionID != uuid.Nil {
		add("definition_id = $%d", f.DefinitionID)
	}
	if f.Kind != "" {
		add("kind = $%d", string(f.Kind))
	}
	query := s.q.listExecutions
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + " ORDER BY created_position", args
}

// LastPosition implements store.Positioner: the head, which is the last
// committed position (appends write it in their own transaction).
func (s *Store) LastPosition(ctx context.Context) (uint64, error) {
	const op = "last position"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	var head int64
	if err := s.pool.QueryRow(ctx, s.q.lastPosition).Scan(&head); err != nil {
		return 0, s.fail(op, err)
	}
	return uint64(head), nil
}

// clampAfter maps a uint64 cursor onto bigint: anything past the largest
// bigint is past every stored sequence and position.
func clampAfter(after uint64) int64 {
	const maxBigint = 1<<63 - 1
	if after > maxBigint {
		return maxBigint
	}
	return int64(after)
}
