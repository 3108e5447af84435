package memory_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"

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

func TestWithClock(t *testing.T) {
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	s := memory.New(memory.WithClock(func() time.Time { return fixed }))
	defer s.Close()
	out, err := s.Append(t.Context(), []execution.Event{{ExecutionID: uuid.New(), EventType: execution.EventCreated}}, store.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Timestamp.Equal(fixed) || out[0].Timestamp.Location() != time.UTC {
		t.Errorf("timestamp %v, want %v in UTC", out[0].Timestamp, fixed)
	}
}
