package engine

import (
	"testing"

	"github.com/google/uuid"
)

func TestWorkQueueCoalescesAndSerialises(t *testing.T) {
	q := newWorkQueue()
	a, b := uuid.New(), uuid.New()
	q.Add(a)
	q.Add(a) // coalesced
	q.Add(b)
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}
	k, _ := q.Get()
	if k != a {
		t.Fatalf("Get = %s, want a first (FIFO)", k)
	}
	wait := q.AddWait(a) // a is running: queued again after Done, not handed out twice
	if k2, _ := q.Get(); k2 != b {
		t.Fatalf("Get = %s, want b while a runs", k2)
	}
	if q.Len() != 0 {
		t.Fatalf("a was handed out while running")
	}
	q.Done(a)
	select {
	case <-wait:
		t.Fatal("waiter closed by a reconcile that started before it")
	default:
	}
	if k3, _ := q.Get(); k3 != a {
		t.Fatalf("Get = %s, want a again", k3)
	}
	q.Done(a)
	<-wait
	q.Done(b)
	q.Shutdown()
	if _, ok := q.Get(); ok {
		t.Fatal("Get after Shutdown returned a key")
	}
}
