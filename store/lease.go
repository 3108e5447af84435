package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// Sentinel errors of leases and fencing (see Leaser).
var (
	// ErrFenced: the fencing token an append or a lease call carried is
	// not the current token of its lease, or the lease has expired. The
	// caller lost ownership and must stop writing for that execution.
	ErrFenced = errors.New("fenced: lease lost")
	// ErrLeaseHeld: another owner holds an unexpired lease on the execution.
	ErrLeaseHeld = errors.New("lease held by another owner")
)

// Lease is one owner's exclusive right to write an execution (a flow or
// contract execution, with the blocks it runs) until ExpiresAt. Token is
// the fencing token: it grows by one every time the lease changes hands,
// so a token names one tenure and a stale holder can be told apart from
// the current one even if both carry the same owner name.
type Lease struct {
	ExecutionID uuid.UUID
	Owner       string
	Token       uint64
	// ExpiresAt is the end of the tenure by the store's clock (the
	// database's, for a shared store), never the holder's.
	ExpiresAt time.Time
}

// Leaser is implemented by stores that several hosts share (PostgreSQL).
// It is what cluster mode needs to give each execution one writer at a
// time: a host acquires a lease, renews it well before it expires, carries
// it in every append it makes for the execution, and releases it when it
// leaves. The store checks the lease in the same transaction as the append,
// so a host that was paused or partitioned past its lease cannot write
// after another host took over, whatever its own clock says.
//
// Leases are kept per execution forever (a released lease keeps its
// token), so tokens only ever grow.
type Leaser interface {
	// AcquireLease makes owner the holder of the execution's lease for
	// ttl. It succeeds when the execution has no lease, when the lease has
	// expired or been released (a new tenure: Token+1), and when owner
	// already holds it (the same tenure, renewed). Otherwise it fails with
	// ErrLeaseHeld. The execution need not have events yet.
	AcquireLease(ctx context.Context, executionID uuid.UUID, owner string, ttl time.Duration) (Lease, error)
	// RenewLease extends l for ttl from now. It fails with ErrFenced when
	// l's token is no longer the execution's current token. A lease that
	// expired but that nobody took over is still l's tenure and renews.
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease ends l's tenure now, so another owner may acquire the
	// execution at once (graceful leave). It fails with ErrFenced when l
	// is no longer the current tenure.
	ReleaseLease(ctx context.Context, l Lease) error
	// Leases lists every lease the store knows, held or not, ordered by
	// execution id.
	Leases(ctx context.Context) ([]Lease, error)
	// AppendFenced is Append under l: in the same transaction it checks
	// that l's token is the current token of l.ExecutionID's lease and
	// that the lease has not expired, or fails with ErrFenced and stores
	// nothing. The fence is checked before the log's own rules (expected
	// sequence, finality, validity), so a fenced writer always learns
	// that it is fenced. The events may belong to another execution than the leased
	// one (a block of the leased flow). A retry of events that are already
	// stored returns them, as Append does, even if the lease was lost
	// since: they were stored while it was held.
	AppendFenced(ctx context.Context, l Lease, events []execution.Event, opts AppendOptions) ([]execution.Event, error)
}
