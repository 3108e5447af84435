// Package store defines the EventStore: the durable, append-only log that is
// openoma's single source of truth (spec §4.1, extended for a multi-writer
// runtime).
//
// Beyond the spec's append / get-events / latest-event, a store
//
//   - assigns each event a per-execution Sequence (1, 2, 3, … without gaps)
//     and a store-wide Position;
//   - stores several events of one execution atomically in one Append;
//   - treats an event whose id is already stored as an idempotent no-op, so
//     clients may retry over an unreliable network;
//   - checks an optional expected sequence (optimistic concurrency): of two
//     writers racing from the same point, one wins and one gets ErrConflict;
//   - enforces invariant 7, terminal finality, atomically with the append;
//   - lists executions (open ones, by parent, by definition) and lets
//     readers subscribe to new events without ever blocking writers.
//
// Errors callers can test with errors.Is are the Err* sentinels below.
// Two of them describe the medium rather than the append: ErrCorrupt (a
// stored event failed its checksum, or a file the store needs is damaged or
// gone; the error names the execution and sequence, or the file) and
// ErrNoSpace (the disk is too full to take the append safely; nothing was
// stored, retry once space is freed).
// Implementations live in store/memory, store/badger and store/postgres;
// store/storetest is the conformance suite every implementation passes.
// Optional capabilities are small interfaces of their own: Positioner
// (where the log ends) and Leaser (leases and fenced appends, for stores
// several hosts share).
package store
