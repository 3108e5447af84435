package badger

import (
	"sync/atomic"
	"time"
)

// Stats counts the writer's work since the store was opened.
type Stats struct {
	// Appends is the number of Append calls that stored events.
	Appends uint64
	// Events is the number of events they stored.
	Events uint64
	// NoOps is the number of Append calls answered from already stored
	// events (idempotent retries).
	NoOps uint64
	// Commits is the number of Badger transactions committed; in sync mode
	// each is one fsync of the write-ahead log.
	Commits uint64
	// NoSpace is the number of Append calls refused with store.ErrNoSpace.
	NoSpace uint64
	// CommitTime is the time spent in the commits (their fsyncs in sync
	// mode) in all: with Commits, the mean commit latency.
	CommitTime time.Duration
}

// AppendsPerCommit is the average group-commit size.
func (s Stats) AppendsPerCommit() float64 {
	if s.Commits == 0 {
		return 0
	}
	return float64(s.Appends+s.NoOps) / float64(s.Commits)
}

type counters struct {
	appends, events, noops, commits, noSpace, commitNanos atomic.Uint64
}

// Stats returns the counters; it is cheap and safe to call at any time.
func (s *Store) Stats() Stats {
	return Stats{
		Appends:    s.stats.appends.Load(),
		Events:     s.stats.events.Load(),
		NoOps:      s.stats.noops.Load(),
		Commits:    s.stats.commits.Load(),
		NoSpace:    s.stats.noSpace.Load(),
		CommitTime: time.Duration(s.stats.commitNanos.Load()),
	}
}
