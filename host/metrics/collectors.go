package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/tasks"
)

// PluginCollector reports each configured plugin's health at scrape time:
// whether it runs, how often it was restarted, and its configured limit.
type PluginCollector struct {
	status                     func() []plugins.Status
	restarts, running, maxConc *prometheus.Desc
}

// NewPluginCollector reads status (the plugin manager's Status) on each
// scrape.
func NewPluginCollector(status func() []plugins.Status) *PluginCollector {
	return &PluginCollector{
		status:   status,
		restarts: prometheus.NewDesc("openoma_plugin_restarts_total", "Times the host restarted a plugin whose process died.", []string{"plugin"}, nil),
		running:  prometheus.NewDesc("openoma_plugin_running", "1 while the plugin's process runs.", []string{"plugin"}, nil),
		maxConc:  prometheus.NewDesc("openoma_plugin_max_concurrency", "Blocks the plugin may run at once (0: no limit).", []string{"plugin"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *PluginCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.restarts
	ch <- c.running
	ch <- c.maxConc
}

// Collect implements prometheus.Collector.
func (c *PluginCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.status() {
		running := 0.0
		if p.Running {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(p.Restarts), p.Name)
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, running, p.Name)
		ch <- prometheus.MustNewConstMetric(c.maxConc, prometheus.GaugeValue, float64(p.MaxConcurrency), p.Name)
	}
}

// TaskCollector reports people's open and overdue tasks at scrape time.
type TaskCollector struct {
	list          func(ctx context.Context) ([]tasks.Task, error)
	open, overdue *prometheus.Desc
	scrapeErrors  prometheus.Counter
}

// NewTaskCollector lists the open tasks of svc on each scrape.
func NewTaskCollector(svc *tasks.Service) *TaskCollector {
	return &TaskCollector{
		list: func(ctx context.Context) ([]tasks.Task, error) { return svc.List(ctx, tasks.Filter{}) },
		open: prometheus.NewDesc("openoma_tasks_open", "People's tasks and questions not yet done, by kind (block, decision).",
			[]string{"kind"}, nil),
		overdue: prometheus.NewDesc("openoma_tasks_overdue", "Open tasks past their due time, by kind.", []string{"kind"}, nil),
		scrapeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "openoma_tasks_scrape_errors_total",
			Help: "Scrapes that could not list the tasks."}),
	}
}

// Describe implements prometheus.Collector.
func (c *TaskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.overdue
	c.scrapeErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *TaskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.list(ctx)
	if err != nil {
		c.scrapeErrors.Inc()
	}
	open := map[string]int{tasks.KindBlock: 0, tasks.KindDecision: 0}
	overdue := map[string]int{tasks.KindBlock: 0, tasks.KindDecision: 0}
	for _, t := range list {
		kind := t.Kind
		open[kind]++
		if t.Overdue {
			overdue[kind]++
		}
	}
	for kind, n := range open {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(n), kind)
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(overdue[kind]), kind)
	}
	c.scrapeErrors.Collect(ch)
}

// Dispatch is one plugin's dispatch books: blocks holding a slot, and
// blocks queued for one.
type Dispatch struct{ Running, Queued int }

// DispatchCollector reports the engine's dispatch queue at scrape time.
type DispatchCollector struct {
	books            func() map[string]Dispatch
	running, pending *prometheus.Desc
}

// NewDispatchCollector reads books (the engine's DispatchStats) on each
// scrape.
func NewDispatchCollector(books func() map[string]Dispatch) *DispatchCollector {
	return &DispatchCollector{
		books: books,
		running: prometheus.NewDesc("openoma_dispatch_running", "Block executions holding one of the plugin's concurrency slots (work in flight; waiting blocks hold none).",
			[]string{"plugin"}, nil),
		pending: prometheus.NewDesc("openoma_dispatch_queued", "Block executions queued for a concurrency slot of the plugin.", []string{"plugin"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *DispatchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.running
	ch <- c.pending
}

// Collect implements prometheus.Collector.
func (c *DispatchCollector) Collect(ch chan<- prometheus.Metric) {
	for plugin, b := range c.books() {
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(b.Running), plugin)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(b.Queued), plugin)
	}
}
