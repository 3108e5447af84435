package tasks

import (
	"fmt"
	"testing"
)

// BenchmarkList measures `task list` over n open tasks in the memory store:
// every open block execution's log is read and projected.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			f := newFixture(b)
			for range n {
				f.task(group("reviewers"), nil)
			}
			b.ReportAllocs()
			for b.Loop() {
				list, err := f.svc.List(f.ctx, Filter{})
				if err != nil || len(list) != n {
					b.Fatalf("%d tasks, %v", len(list), err)
				}
			}
		})
	}
}

// BenchmarkComplete measures one validated completion (find by id, check
// outputs against the schemas, append with the expected sequence).
func BenchmarkComplete(b *testing.B) {
	f := newFixture(b)
	a := f.actor("alice", 1001, "")
	ids := make([]string, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(ids) == 0 {
			for range 1024 {
				ids = append(ids, f.task(group("reviewers"), nil).String())
			}
		}
		id := ids[len(ids)-1]
		ids = ids[:len(ids)-1]
		b.StartTimer()
		if _, err := f.svc.Complete(f.ctx, id, CompleteInput{Text: map[string]string{"verdict": "approved", "score": `{"value": 3}`}}, a); err != nil {
			b.Fatal(err)
		}
	}
}
