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
// Every append transaction first locks the head row (SELECT … FOR
// UPDATE), takes the next positions from it and writes it back before it
// commits. The lock is held to the commit, so appends commit one at a
// time in position order, and any snapshot holds positions 1…head without
// holes; a transaction that fails rolls its head update back with it.
// Subscriptions therefore read "position > cursor ORDER BY position" and
// may advance their cursor freely. storetest's hammered-subscription
// property fails within a run against a sequence-numbered variant.
//
// # Group commit
//
// Serialising every append on one row would cost one commit — one WAL
// flush — per append. Instead one goroutine per Store, the writer, takes
// every append waiting in the process and handles them in one
// transaction of two round trips: the first begins it, locks the head
// and reads the stored events with the appends' ids, their executions'
// tails and their leases; the appends are then judged in order in Go
// (idempotency by unique id, fence, store.PrepareAppend: expected
// sequence, created first, terminal finality), each seeing the ones
// before it; the second writes the accepted events, the executions'
// summaries and the head, and commits.
// A verdict is answered only after the commit it was judged in: if the
// transaction fails, every append of the group gets the failure. The
// primary key (execution_id, sequence) and the unique event id would
// refuse a second writer even without the lock.
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
