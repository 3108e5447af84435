package engine

import (
	"testing"

	"github.com/google/uuid"
)

// The books the metrics export: slots taken and blocks queued, per plugin.
func TestDispatchStats(t *testing.T) {
	d := newDispatcher(func(*job) {}, map[string]int{"shell": 2}, 16)
	for range 3 {
		d.submit(&job{plugin: "shell", blockID: uuid.New()}, false)
	}
	d.submit(&job{plugin: "llm-stub", blockID: uuid.New()}, false)
	got := d.stats()
	if got["shell"] != (DispatchStats{Running: 2, Queued: 1}) || got["llm-stub"] != (DispatchStats{Running: 1}) {
		t.Errorf("stats %+v; want shell 2 running 1 queued, llm-stub 1 running", got)
	}
}
