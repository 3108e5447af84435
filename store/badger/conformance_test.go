package badger_test

import (
	"testing"

	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/storetest"
)

// TestConformanceOnDisk runs the shared suite against a store in a fresh
// directory, in the default sync mode; the suite may restart it.
func TestConformanceOnDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.EventStore { return openReopenable(t, badger.Options{}) })
}

// TestConformanceAsync runs it in async durability mode.
func TestConformanceAsync(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.EventStore {
		return openTemp(t, badger.Options{Durability: badger.DurabilityAsync})
	})
}

// TestConformanceInMemory runs it against the in-memory mode.
func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.EventStore {
		s, err := badger.OpenInMemory(badger.Options{})
		if err != nil {
			t.Fatalf("OpenInMemory: %v", err)
		}
		return s
	})
}
