// Package memory is the reference, in-memory implementation of
// store.EventStore.
//
// It keeps every event in process memory and loses them when the process
// exits, so it serves tests, examples and short-lived embedded hosts. It
// applies the same append rules as every other store (store.PrepareAppend)
// and passes the conformance suite in store/storetest, which makes it the
// yardstick other implementations are compared against.
//
// Writers hold one mutex for the few microseconds an append takes; readers
// and subscribers share a read lock and copy what they return, so nothing a
// caller does with a returned event can change the stored log. Subscribers
// read the log at their own position and are woken by a broadcast channel
// that every append closes and replaces, so a subscriber that never reads
// costs writers nothing.
package memory
