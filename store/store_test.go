package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

func TestEventsSince(t *testing.T) {
	s := memory.New()
	defer s.Close()
	id := uuid.New()
	at := func(sec int) time.Time { return now.Add(time.Duration(sec) * time.Second) }
	evs := []execution.Event{
		{ExecutionID: id, EventType: execution.EventCreated, Timestamp: at(0)},
		{ExecutionID: id, EventType: execution.EventStarted, Timestamp: at(10)},
		// An executor with a slow clock: recorded later, stamped earlier.
		{ExecutionID: id, EventType: execution.EventProgress, Timestamp: at(5)},
		{ExecutionID: id, EventType: execution.EventCompleted, Timestamp: at(20)},
	}
	if _, err := s.Append(t.Context(), evs, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		after time.Time
		want  []execution.EventType
	}{
		{at(-1), []execution.EventType{execution.EventCreated, execution.EventStarted, execution.EventProgress, execution.EventCompleted}},
		{at(0), []execution.EventType{execution.EventStarted, execution.EventProgress, execution.EventCompleted}},
		{at(7), []execution.EventType{execution.EventStarted, execution.EventCompleted}},
		{at(20), nil},
	}
	for _, c := range cases {
		got, err := store.EventsSince(t.Context(), s, id, c.after)
		if err != nil {
			t.Fatal(err)
		}
		var types []execution.EventType
		for _, e := range got {
			types = append(types, e.EventType)
		}
		if len(types) != len(c.want) {
			t.Errorf("EventsSince(%s) = %v, want %v", c.after.Format(time.TimeOnly), types, c.want)
			continue
		}
		for i := range types {
			if types[i] != c.want[i] {
				t.Errorf("EventsSince(%s) = %v, want %v (log order)", c.after.Format(time.TimeOnly), types, c.want)
				break
			}
		}
	}
}
