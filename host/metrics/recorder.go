package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/logfollow"
	"github.com/openoma/openoma/store"
)

// metadataPlugin is the metadata key of a block's created event that names
// the plugin it was routed to (engine.MetadataPlugin; not imported, so that
// this package does not depend on the engine).
const metadataPlugin = "plugin"

// blockBuckets spans what blocks take: an llm-stub call in milliseconds to
// a person's task over days.
var blockBuckets = []float64{0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600}

// Recorder turns the event log into metrics. Create it with New, register
// it, and Run it for the life of the host.
type Recorder struct {
	catalog *core.Catalog

	started    *prometheus.CounterVec   // kind
	ended      *prometheus.CounterVec   // kind, state
	duration   *prometheus.HistogramVec // plugin, block, state
	inFlight   *prometheus.GaugeVec     // plugin
	conditions *prometheus.CounterVec   // decided_by, value
	lag        prometheus.Gauge

	mu   sync.Mutex
	open map[uuid.UUID]openExecution
}

// openExecution is what the recorder remembers of an execution until its
// terminal event.
type openExecution struct {
	kind    execution.Kind
	created time.Time
	plugin  string
	block   string
}

// New returns a Recorder that names blocks from cat (nil: by id).
func New(cat *core.Catalog) *Recorder {
	return &Recorder{
		catalog: cat,
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openoma_executions_started_total",
			Help: "Executions created, by kind (block, flow, contract)."}, []string{"kind"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openoma_executions_ended_total",
			Help: "Executions that reached a terminal state, by kind and state."}, []string{"kind", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "openoma_block_duration_seconds",
			Help:    "Time from a block execution's created event to its terminal event, by plugin, block and final state.",
			Buckets: blockBuckets}, []string{"plugin", "block", "state"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openoma_blocks_in_flight",
			Help: "Block executions created and not yet ended, by plugin (waiting ones included)."}, []string{"plugin"}),
		conditions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openoma_condition_decisions_total",
			Help: "Edge conditions decided, by who decided (system: the host's CEL, or the judging plugin or person) and the result."},
			[]string{"decided_by", "value"}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "openoma_metrics_event_lag_seconds",
			Help: "Age of the newest event the metrics have seen, when it was seen (how far behind the log the metrics are)."}),
		open: map[uuid.UUID]openExecution{},
	}
}

// Describe implements prometheus.Collector.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range r.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (r *Recorder) Collect(ch chan<- prometheus.Metric) {
	for _, c := range r.collectors() {
		c.Collect(ch)
	}
}

func (r *Recorder) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.started, r.ended, r.duration, r.inFlight, r.conditions, r.lag}
}

// Run follows the store from where its log ends now until ctx is done,
// first remembering the executions open at that moment.
func (r *Recorder) Run(ctx context.Context, s store.EventStore) error {
	err := logfollow.Follow(ctx, s, func(ctx context.Context) error { return r.seed(ctx, s) }, r.Observe)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// seed remembers the executions open now, so that their ends are counted
// and timed and the in-flight gauge counts the open blocks. Only blocks
// need their created event read (for the plugin); the rest is in the
// store's execution index.
func (r *Recorder) seed(ctx context.Context, s store.EventStore) error {
	open, err := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
	if err != nil {
		return fmt.Errorf("metrics: open executions: %w", err)
	}
	for _, info := range open {
		if !countedKind(info.Kind) {
			continue
		}
		if info.Kind != execution.KindBlock {
			r.mu.Lock()
			if _, seen := r.open[info.ID]; !seen {
				r.open[info.ID] = openExecution{kind: info.Kind, created: info.CreatedAt}
			}
			r.mu.Unlock()
			continue
		}
		evs, err := s.Events(ctx, info.ID, 0)
		if err != nil || len(evs) == 0 || evs[0].EventType != execution.EventCreated {
			continue // ended or unreadable meanwhile; the log says what it says
		}
		r.mu.Lock()
		if _, seen := r.open[info.ID]; !seen {
			r.remember(evs[0])
		}
		r.mu.Unlock()
	}
	return nil
}

// Observe counts one event. Events must arrive in log order; a created
// event seen twice (a seeded block) counts once.
func (r *Recorder) Observe(ev execution.Event) {
	r.lag.Set(time.Since(ev.Timestamp).Seconds())
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case ev.EventType == execution.EventCreated:
		if _, seen := r.open[ev.ExecutionID]; seen {
			return
		}
		if x, ok := r.remember(ev); ok {
			r.started.WithLabelValues(string(x.kind)).Inc()
		}
	case ev.EventType.IsTerminal():
		x, ok := r.open[ev.ExecutionID]
		if !ok {
			return // created before the recorder started and already seen ended, or not ours
		}
		delete(r.open, ev.ExecutionID)
		state := string(execution.StateOf(ev.EventType))
		r.ended.WithLabelValues(string(x.kind), state).Inc()
		if x.kind == execution.KindBlock {
			r.inFlight.WithLabelValues(x.plugin).Dec()
			r.duration.WithLabelValues(x.plugin, x.block, state).Observe(ev.Timestamp.Sub(x.created).Seconds())
		}
	case ev.EventType == execution.EventProgress:
		r.observeProgress(ev)
	}
}

// remember records a created event; the caller holds r.mu.
func (r *Recorder) remember(ev execution.Event) (openExecution, bool) {
	var c execution.Created
	if json.Unmarshal(ev.Payload, &c) != nil || !countedKind(c.Kind) {
		return openExecution{}, false
	}
	x := openExecution{kind: c.Kind, created: ev.Timestamp}
	if c.Kind == execution.KindBlock {
		x.plugin, _ = ev.Metadata[metadataPlugin].(string)
		if x.plugin == "" {
			x.plugin = "none"
		}
		x.block = c.WorkBlockID.String()
		if r.catalog != nil {
			if b, ok := r.catalog.WorkBlock(c.WorkBlockID, c.WorkBlockVersion); ok {
				x.block = b.Name
			}
		}
		r.inFlight.WithLabelValues(x.plugin).Inc()
	}
	r.open[ev.ExecutionID] = x
	return x, true
}

func (r *Recorder) observeProgress(ev execution.Event) {
	var d execution.ConditionDecision
	if json.Unmarshal(ev.Payload, &d) != nil || d.Type != execution.ProgressConditionDecision {
		return
	}
	by := "unknown"
	if d.DecidedBy != nil {
		by = string(d.DecidedBy.Type)
	}
	r.conditions.WithLabelValues(by, fmt.Sprint(d.Value)).Inc()
}

// countedKind: the executions the metrics count. The store holds other
// records as executions too (schedules); they are not work.
func countedKind(k execution.Kind) bool {
	return k == execution.KindBlock || k == execution.KindFlow || k == execution.KindContract
}
