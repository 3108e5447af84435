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
// Bench measures the same operations for every implementation, so their
// figures can be compared side by side.
package storetest
