package postgres

import "sync/atomic"

// Stats counts this process's appends since the store was opened (other
// hosts' appends are theirs to count).
type Stats struct {
	// Appends is the number of Append calls that stored events.
	Appends uint64
	// Events is the number of events they stored.
	Events uint64
	// NoOps is the number of Append calls answered from already stored
	// events (idempotent retries).
	NoOps uint64
	// Commits is the number of group transactions committed (each one
	// WAL flush on the server unless synchronous_commit is off); the
	// appends of this process that wait together share one.
	Commits uint64
}

type counters struct {
	appends, events, noops, commits atomic.Uint64
}

// Stats returns the counters; it is cheap and safe to call at any time.
func (s *Store) Stats() Stats {
	return Stats{
		Appends: s.stats.appends.Load(),
		Events:  s.stats.events.Load(),
		NoOps:   s.stats.noops.Load(),
		Commits: s.stats.commits.Load(),
	}
}
