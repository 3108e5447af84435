// Package storetest is the conformance suite for store.EventStore
// implementations.
//
// An implementation's test calls Run with a function that opens a fresh,
// empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.EventStore {
//			return memory.New()
//		})
//	}
//
// Run gives every property its own subtest and its own store, and closes
// that store when the subtest ends (so Close must tolerate being called
// twice). Run the suite under the race detector: several properties hammer
// the store from concurrent goroutines.
//
// # Linearizability
//
// Beside the properties of single calls, the suite checks that a store is
// linearizable: that every history of concurrent calls could have
// happened one call at a time, each at some instant between its call and
// its return. Eight clients share one fresh execution, appending with and
// without expected sequences, re-sending batches (their own or another
// client's, acknowledged or refused), ending the execution, appending
// administrative events after the end and batches that break a rule, and
// reading (Events, LatestEvent, Execution, ListExecutions of the open
// ones), most often right after a refusal. The recorded history is
// checked with porcupine
// (github.com/anishathalye/porcupine) against a sequential model of one
// execution's log, written from the store's documentation (linmodel.go).
// Each run checks ten histories with logged seeds; set
// OPENOMA_STORETEST_SEED to replay a run's plan (the interleaving is the
// scheduler's).
//
// A store whose factory returns a Reopener (a durable store that can be
// closed and opened again on the same data) is also checked with restarts
// between operations, so what one incarnation acknowledged must be what
// the next one reads. Other stores skip that property.
//
// Bench measures the same operations for every implementation, so their
// figures can be compared side by side.
package storetest
