package memory_test

import (
	"testing"

	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
	"github.com/openoma/openoma/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.EventStore { return memory.New() })
}

func BenchmarkMemory(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.EventStore { return memory.New() })
}
