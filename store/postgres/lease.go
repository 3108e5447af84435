package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/openoma/openoma/store"
)

// AcquireLease implements store.Leaser. Expiry is judged by the
// database's clock, the one clock every host shares.
func (s *Store) AcquireLease(ctx context.Context, executionID uuid.UUID, owner string, ttl time.Duration) (store.Lease, error) {
	op := fmt.Sprintf("acquire lease on %s for %q", executionID, owner)
	if err := checkLeaseArgs(executionID, owner, ttl); err != nil {
		return store.Lease{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.begin(ctx, op); err != nil {
		return store.Lease{}, err
	}
	l := store.Lease{ExecutionID: executionID}
	err := scanLease(s.pool.QueryRow(ctx, s.q.acquireLease, executionID, owner, ttl.Microseconds()), &l)
	if errors.Is(err, pgx.ErrNoRows) {
		holder, herr := s.lease(ctx, executionID)
		if herr != nil {
			return store.Lease{}, s.fail(op, herr)
		}
		return store.Lease{}, fmt.Errorf("%s: %w: %q holds it (token %d) until %s",
			op, store.ErrLeaseHeld, holder.Owner, holder.Token, holder.ExpiresAt.Format(time.RFC3339Nano))
	}
	if err != nil {
		return store.Lease{}, s.fail(op, err)
	}
	return l, nil
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	op := fmt.Sprintf("renew lease on %s (token %d) for %q", l.ExecutionID, l.Token, l.Owner)
	if err := checkLeaseArgs(l.ExecutionID, l.Owner, ttl); err != nil {
		return store.Lease{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.begin(ctx, op); err != nil {
		return store.Lease{}, err
	}
	renewed := store.Lease{ExecutionID: l.ExecutionID}
	err := scanLease(s.pool.QueryRow(ctx, s.q.renewLease, l.ExecutionID, int64(l.Token), ttl.Microseconds(), l.Owner), &renewed)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, s.lostLease(ctx, op, l)
	}
	if err != nil {
		return store.Lease{}, s.fail(op, err)
	}
	return renewed, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	op := fmt.Sprintf("release lease on %s (token %d) for %q", l.ExecutionID, l.Token, l.Owner)
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q.releaseLease, l.ExecutionID, int64(l.Token), l.Owner)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return s.lostLease(ctx, op, l)
	}
	return nil
}

// Leases implements store.Leaser.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.begin(ctx, "list leases"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q.listLeases)
	if err != nil {
		return nil, s.fail("list leases", err)
	}
	defer rows.Close()
	out := []store.Lease{}
	for rows.Next() {
		var l store.Lease
		var token int64
		if err := rows.Scan(&l.ExecutionID, &l.Owner, &token, &l.ExpiresAt); err != nil {
			return nil, s.fail("list leases", err)
		}
		l.Token, l.ExpiresAt = uint64(token), l.ExpiresAt.UTC()
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list leases", err)
	}
	return out, nil
}

// lostLease explains why a renew or release of l matched nothing.
func (s *Store) lostLease(ctx context.Context, op string, l store.Lease) error {
	current, err := s.lease(ctx, l.ExecutionID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %w: the execution has no lease", op, store.ErrFenced)
	case err != nil:
		return s.fail(op, err)
	case current.Owner == "":
		return fmt.Errorf("%s: %w: the lease was released (token %d)", op, store.ErrFenced, current.Token)
	}
	return fmt.Errorf("%s: %w: %q holds it now with token %d", op, store.ErrFenced, current.Owner, current.Token)
}

// lease reads the execution's lease row.
func (s *Store) lease(ctx context.Context, executionID uuid.UUID) (store.Lease, error) {
	l := store.Lease{ExecutionID: executionID}
	err := scanLease(s.pool.QueryRow(ctx, s.q.readLease, executionID), &l)
	return l, err
}

func scanLease(row pgx.Row, l *store.Lease) error {
	var token int64
	if err := row.Scan(&l.Owner, &token, &l.ExpiresAt); err != nil {
		return err
	}
	l.Token, l.ExpiresAt = uint64(token), l.ExpiresAt.UTC()
	return nil
}

func checkLeaseArgs(executionID uuid.UUID, owner string, ttl time.Duration) error {
	switch {
	case executionID == uuid.Nil:
		return fmt.Errorf("%w: no execution id", store.ErrInvalid)
	case owner == "":
		return fmt.Errorf("%w: no owner", store.ErrInvalid)
	case ttl < time.Microsecond:
		return fmt.Errorf("%w: ttl %s is below the store's resolution (1µs)", store.ErrInvalid, ttl)
	}
	return nil
}
