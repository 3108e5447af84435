package engine

// DispatchStats is, for one plugin, how many block executions hold one of
// its concurrency slots (work in flight) and how many are queued for one.
// Blocks that wait (for a person, a timer) hold none and are in neither.
type DispatchStats struct {
	Running int
	Queued  int
}

// DispatchStats reports the dispatcher's books per plugin, for metrics.
func (e *Engine) DispatchStats() map[string]DispatchStats {
	return e.dispatch.stats()
}

func (d *dispatcher) stats() map[string]DispatchStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]DispatchStats, len(d.plugins))
	for name, p := range d.plugins {
		out[name] = DispatchStats{Running: p.running, Queued: len(p.waiting)}
	}
	return out
}
