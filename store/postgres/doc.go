// Package postgres is the shared EventStore: the execution log in a
// PostgreSQL database (through github.com/jackc/pgx/v5), which several
// hosts on several machines open at once. Badger stays the embedded store
// for one machine; this one is for cluster mode.
//
// # Schema
//
// Open creates the schema (Options.Schema, "openoma" by default) and
// brings it to the newest version this binary knows: the migrations in
// migrations/ are embedded, numbered, recorded in schema_migrations and
// applied in one transaction under a transaction-level advisory lock, so
// hosts starting together do not race and a failed migration changes
// nothing. A schema newer than the binary is refused. Tables:
//
//	head        one row: the last position handed out
//	executions  one row per execution: tail (last_sequence, terminal),
//	            kind, parent, definition; indexed for ListExecutions
//	events      primary key (execution_id, sequence); unique id; unique
//	            position; payload bytea, byte for byte
//	leases      execution → owner, fencing token, expiry (cluster mode)
//
// # Appends and the gap problem
//
// A store-wide position taken from a sequence is handed out when a
// transaction inserts, but becomes visible when it commits, and
// transactions commit in any order: a reader that has seen position 8
// may later find 7 committed behind it, and a reader that moved its
// cursor past 8 never delivers 7. This store avoids it by construction.
// Every append first locks the head row (SELECT … FOR UPDATE), takes the
// next positions from it and writes it back in the same transaction. The
// lock is held to the commit, so appends commit one at a time in position
// order, and any snapshot holds positions 1…head without holes; an append
// that fails rolls its head update back with it. Subscriptions therefore
// read "position > cursor ORDER BY position" and may advance their
// cursor freely. The price is that appends from every host are
// serialised on one row: throughput is bounded by one commit (one WAL
// flush) at a time (see docs/benchmarks.md).
//
// Under the same lock the append answers a retry from the stored events
// (a unique event id: idempotency is permanent), checks the execution's
// tail against the batch (expected sequence, created first, terminal
// finality — store.PrepareAppend), inserts the events in one round trip
// and updates the execution's summary. The primary key (execution_id,
// sequence) would refuse a second writer of the same sequence even
// without the lock.
//
// # Wake-ups
//
// Subscriptions pull. With Options.Notify every append sends a NOTIFY in
// its transaction and the store keeps one LISTEN session (reconnected with
// backoff when it breaks); a notification carries nothing but "look
// again". Appends of the same process wake its subscriptions directly.
// Anything else — NOTIFY off behind a transaction-pooling proxy, a lost
// session — is covered by polling every Options.PollInterval.
//
// # Fencing
//
// Store implements store.Leaser. AppendFenced reads the lease row FOR
// SHARE in the append's transaction and refuses a stale or expired token
// with store.ErrFenced; a takeover updates that row, so it waits for an
// in-flight fenced append to commit and the new owner's replay sees it.
// Expiry is judged by the database's clock alone.
package postgres
