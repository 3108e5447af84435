package host

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openoma/openoma/store/badger"
)

// storeCollector exposes the event store's counters to Prometheus. It
// reads them on each scrape, so it holds no state of its own.
type storeCollector struct {
	s                                           interface{ Stats() badger.Stats }
	appends, events, noops, commits, commitTime *prometheus.Desc
}

// NewStoreCollector returns a Prometheus collector of the store's counters.
func NewStoreCollector(s interface{ Stats() badger.Stats }) prometheus.Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("openoma_store_"+name, help, nil, nil)
	}
	return &storeCollector{
		s:       s,
		appends: d("appends_total", "Append calls that stored events."),
		events:  d("events_total", "Events stored."),
		noops:   d("idempotent_appends_total", "Append calls answered from already stored events (retries)."),
		commits: d("commits_total", "Store transactions committed (one fsync each in sync mode)."),
		commitTime: d("commit_seconds_total", "Time spent committing (fsyncs in sync mode); "+
			"rate(openoma_store_commit_seconds_total) / rate(openoma_store_commits_total) is the mean commit latency."),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.appends
	ch <- c.events
	ch <- c.noops
	ch <- c.commits
	ch <- c.commitTime
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(c.appends, prometheus.CounterValue, float64(st.Appends))
	ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(st.Events))
	ch <- prometheus.MustNewConstMetric(c.noops, prometheus.CounterValue, float64(st.NoOps))
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(st.Commits))
	ch <- prometheus.MustNewConstMetric(c.commitTime, prometheus.CounterValue, st.CommitTime.Seconds())
}
