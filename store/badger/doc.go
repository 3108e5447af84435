// Package badger is the durable EventStore: an append-only execution log in
// an embedded Badger database (github.com/dgraph-io/badger/v4) kept in one
// local data directory, so the host needs no server.
//
// # Guarantees
//
// An Append that returned success is on disk: in the default Sync
// durability mode the store fsyncs before it acknowledges, and the events,
// their indexes and the execution summary are written in one Badger
// transaction, so a crash (kill -9, power loss) leaves either all of an
// append or none of it. Nothing stored is ever rewritten: events are keyed
// by execution and sequence and only ever added.
//
// # Group commit
//
// One goroutine, the writer, owns every write. Append hands its events to
// the writer and waits; the writer drains everything queued, checks and
// writes all of it in one (or a few) Badger transactions, fsyncs once and
// then acknowledges each caller with its own result. Concurrent appenders
// therefore share fsyncs; Stats reports how many appends each fsync carried.
//
// # Key layout
//
// Every key starts with a one-byte namespace (see keys.go):
//
//	0x01 execution(16) sequence(8)        → event (codec.go)
//	0x02 event id(16)                     → execution(16) sequence(8)
//	0x03 execution(16)                    → execution summary
//	0x04 created position(8) execution(16) → summary (copy)  open executions
//	0x05 created position(8) execution(16) → ∅   all executions
//	0x06 parent(16) position(8) execution(16) → ∅
//	0x07 definition(16) position(8) execution(16) → ∅
//	0x08 position(8)                      → execution(16) sequence(8)
//
// Integers are big-endian so that Badger's byte order is numeric order: an
// execution's events iterate in sequence order, its tail is one reverse seek
// away, and the position log iterates in store order for subscriptions.
//
// # Memory
//
// Badger's defaults reserve hundreds of MiB (64 MiB memtables, a 256 MiB
// block cache, 1 GiB value-log files). DefaultOptions picks small, bounded
// values; see Options for what an operator may tune, and
// docs/operations.md for what a million events cost.
//
// # Damage and full disks
//
// Every stored event ends with a CRC-32C of its bytes (codec.go), checked
// on every read: damage is store.ErrCorrupt naming the execution and
// sequence, never an event. Before Badger may touch a directory, Open
// checks it without changing anything (opencheck.go): Badger deletes
// tables its MANIFEST does not list and cuts log files at the first entry
// it cannot read, which after damage — not after a crash — discards
// acknowledged events, so Open refuses, naming the file. Panics inside
// Badger while it reads are recovered at the store boundary. Free space is
// checked before every commit (freespace.go): below Options.MinFreeSpace
// appends fail with store.ErrNoSpace instead of Badger writing into an
// mmap'd file the disk cannot back (SIGBUS).
//
// # Checking
//
// Verify checks a snapshot of the whole store: streams against the append
// rules and every index against the streams. CheckFiles runs Open's file
// checks alone. Backup writes Badger's stream backup in an envelope with a
// checksum; CheckBackup checks a whole backup, and RestoreDir restores one
// into a temporary directory renamed into place only when complete.
package badger
