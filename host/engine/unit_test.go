package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestParseRetry(t *testing.T) {
	tests := []struct {
		name    string
		meta    map[string]any
		want    retryPolicy
		delays  []time.Duration // after attempts 1, 2, …
		wantErr string
	}{
		{name: "absent", meta: nil, want: noRetry},
		{name: "defaults", meta: map[string]any{"retry": map[string]any{"max_attempts": 3}},
			want: retryPolicy{3, time.Second, 2, 5 * time.Minute}, delays: []time.Duration{time.Second, 2 * time.Second}},
		{name: "all keys", meta: map[string]any{"retry": map[string]any{"max_attempts": 4.0, "backoff": "100ms", "multiplier": 3, "max_backoff": "500ms"}},
			want: retryPolicy{4, 100 * time.Millisecond, 3, 500 * time.Millisecond}, delays: []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 500 * time.Millisecond}},
		{name: "not an object", meta: map[string]any{"retry": 3}, wantErr: "must be an object"},
		{name: "typo", meta: map[string]any{"retry": map[string]any{"max_attempt": 3}}, wantErr: "max_attempt: unknown key"},
		{name: "zero attempts", meta: map[string]any{"retry": map[string]any{"max_attempts": 0}}, wantErr: "max_attempts: want an integer from 1 to 1000"},
		{name: "fractional attempts", meta: map[string]any{"retry": map[string]any{"max_attempts": 2.5}}, wantErr: "max_attempts"},
		{name: "bad backoff", meta: map[string]any{"retry": map[string]any{"backoff": 5}}, wantErr: `backoff: want a duration such as "200ms"`},
		{name: "negative backoff", meta: map[string]any{"retry": map[string]any{"backoff": "-1s"}}, wantErr: "backoff"},
		{name: "multiplier below 1", meta: map[string]any{"retry": map[string]any{"multiplier": 0.5}}, wantErr: "multiplier: want a number from 1 to 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRetry(tc.meta)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseRetry = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseRetry = %+v, %v; want %+v", got, err, tc.want)
			}
			for i, d := range tc.delays {
				if g := got.delayAfter(i + 1); g != d {
					t.Errorf("delay after attempt %d = %s, want %s", i+1, g, d)
				}
			}
		})
	}
}

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
