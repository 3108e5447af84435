package host_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/engine"
)

// BenchmarkHostStatus is what one `status` of a finished 1,000-block flow
// costs the daemon (issue 11 #5: ≤ 5 ms of host CPU): the report the control
// API's Status builds (host.Report) and its JSON encoding, on the Badger
// store a real run through the plugin subprocess wrote.
func BenchmarkHostStatus(b *testing.B) {
	const n = 1000
	defs := writeDefs(b, fanDefs(n))
	h := openHost(b, benchConfig(b, b.TempDir(), defs, config.DurabilityAsync, 64))
	defer h.Close()
	ctx := context.Background()
	id, err := h.Start(ctx, "Fan", map[string]any{"x": 1})
	if err != nil {
		b.Fatal(err)
	}
	if s, err := h.Engine().Wait(ctx, id); err != nil || s != execution.StateCompleted {
		b.Fatalf("flow ended %s (%v)", s, err)
	}
	// built: what every status of a running flow costs (and the first of
	// a finished one); settled: a finished flow's later ones.
	b.Run("blocks=1000/built", func(b *testing.B) {
		benchStatus(b, id, n, func(ctx context.Context, id uuid.UUID) (json.RawMessage, bool, error) {
			rep, err := h.Engine().Status(ctx, id)
			if err != nil {
				return nil, false, err
			}
			raw, err := json.Marshal(rep)
			return raw, true, err
		})
	})
	// blocks-cached: what a running flow's report costs once its ended
	// blocks are in the engine's BlockCache (the flow's own log and the
	// list of its blocks are still read).
	var cache engine.BlockCache
	b.Run("blocks=1000/blocks-cached", func(b *testing.B) {
		benchStatus(b, id, n, func(ctx context.Context, id uuid.UUID) (json.RawMessage, bool, error) {
			rep, err := h.Engine().StatusCached(ctx, id, &cache)
			if err != nil {
				return nil, false, err
			}
			raw, err := rep.EncodeJSON()
			return raw, true, err
		})
	})
	b.Run("blocks=1000/settled", func(b *testing.B) {
		benchStatus(b, id, n, h.ReportJSON)
	})
}

func benchStatus(b *testing.B, id uuid.UUID, blocks int, report func(context.Context, uuid.UUID) (json.RawMessage, bool, error)) {
	ctx := context.Background()
	b.ReportAllocs()
	var size int
	cpu0 := cpuTime()
	for b.Loop() {
		raw, done, err := report(ctx, id)
		if err != nil || !done {
			b.Fatalf("report: done %v, %v", done, err)
		}
		size = len(raw)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(size), "report-bytes")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*blocks), "ns/block")
}
