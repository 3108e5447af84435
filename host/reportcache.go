package host

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/host/engine"
)

// reportCacheBytes bounds the encoded reports a host keeps: a finished
// 1,000-block flow's report is ≈ 0.5 MB, so this holds a few dozen big
// ones, or thousands of small ones.
const reportCacheBytes = 16 << 20

// reportCache keeps the encoded reports of settled executions — ended, and
// everything beneath them ended too — which no later event can change, so
// `status` of a finished flow of any size costs one lookup instead of
// reading and projecting every block's log (≈ 50 µs of CPU per block). The
// zero value is ready; eviction is oldest first.
type reportCache struct {
	// blocks keeps ended block executions' reports for the reports of
	// flows still running.
	blocks engine.BlockCache

	mu    sync.Mutex
	m     map[uuid.UUID]json.RawMessage
	order []uuid.UUID
	bytes int
}

func (c *reportCache) get(id uuid.UUID) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	raw, ok := c.m[id]
	return raw, ok
}

func (c *reportCache) put(id uuid.UUID, raw json.RawMessage) {
	if len(raw) > reportCacheBytes/4 {
		return // one report must not empty the cache of every other
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[uuid.UUID]json.RawMessage{}
	}
	if _, ok := c.m[id]; ok {
		return
	}
	for c.bytes+len(raw) > reportCacheBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[id] = raw
	c.order = append(c.order, id)
	c.bytes += len(raw)
}

// ReportJSON implements control.ReportEncoder: the report of Report,
// encoded, from the cache when the execution has settled.
func (h *Host) ReportJSON(ctx context.Context, id uuid.UUID) (json.RawMessage, bool, error) {
	if raw, ok := h.reports.get(id); ok {
		return raw, true, nil
	}
	rep, done, err := h.Report(ctx, id)
	if err != nil {
		return nil, false, err
	}
	raw, err := rep.EncodeJSON()
	if err != nil {
		return nil, false, fmt.Errorf("encode the report of %s: %w", id, err)
	}
	if done && settled(rep) {
		h.reports.put(id, raw)
	}
	return raw, done, nil
}

// settled reports whether r and everything in it has ended: a flow's
// terminal event can be stored before its last blocks' (a failure cancels
// what still runs), and such a report still changes.
func settled(r *engine.Report) bool {
	if r == nil {
		return true
	}
	if !r.State.IsTerminal() {
		return false
	}
	for i := range r.Blocks {
		if !r.Blocks[i].State.IsTerminal() {
			return false
		}
	}
	for _, f := range r.Flows {
		if !settled(f) {
			return false
		}
	}
	for _, k := range r.SubContracts {
		if !settled(k) {
			return false
		}
	}
	for _, a := range r.Assessments {
		if !a.State.IsTerminal() || !settled(a.AssessmentFlow) {
			return false
		}
		for _, f := range a.TestFlows {
			if !settled(f) {
				return false
			}
		}
	}
	return true
}
