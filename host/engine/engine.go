package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// Defaults of Config fields left zero.
const (
	DefaultCallTimeout    = 30 * time.Second
	DefaultMaxConcurrency = 16
	DefaultWorkers        = 32
)

// ErrAlreadyRunning: Run was called on an engine that runs or ran.
var ErrAlreadyRunning = errors.New("engine is already running")

// Config configures an Engine. Catalog, Store and Adapters are required.
type Config struct {
	Catalog  *core.Catalog
	Store    store.EventStore
	Adapters Adapters
	// Logger receives the engine's log; nil discards it.
	Logger hclog.Logger
	// Conditions compiles CEL predicates; nil builds one with defaults.
	Conditions *condition.Compiler
	// CallTimeout bounds every call to a plugin (ExecuteBlock, ResumeBlock,
	// CancelBlock, EvaluateCondition). It is also how long a plugin has to
	// record a cancellation it was asked for before the host records it.
	CallTimeout time.Duration
	// MaxConcurrency bounds, per plugin name, how many block executions run
	// on that plugin at once (from dispatch to their terminal event, or to
	// their first waiting event: a block that waits holds no slot, see
	// sdk.ProgressWaiting).
	MaxConcurrency map[string]int
	// DefaultMaxConcurrency applies to plugins not in MaxConcurrency.
	DefaultMaxConcurrency int
	// Workers is how many executions are reconciled in parallel (each
	// execution is only ever reconciled by one worker at a time).
	Workers int
	// Now is the clock; nil means time.Now. Retry backoff is measured with it.
	Now func() time.Time
}

// Engine runs flows and contracts. It holds no state of its own that the
// log does not: everything it decides is derived from the event store, and
// every caching it does (the events it has read, which block executions it
// has handed to a plugin in this process) can be thrown away and rebuilt —
// which is exactly what happens after a crash.
type Engine struct {
	catalog     *core.Catalog
	store       store.EventStore
	adapters    Adapters
	log         hclog.Logger
	cel         *condition.Compiler
	callTimeout time.Duration
	workers     int
	now         func() time.Time

	queue    *workQueue
	dispatch *dispatcher

	plansMu sync.Mutex
	plans   map[core.Ref]planResult

	mu    sync.Mutex
	views map[uuid.UUID]*flowView
	// dirty lists, per flow execution, the block executions with a new
	// terminal event the flow's view has not read yet.
	dirty map[uuid.UUID]map[uuid.UUID]bool
	// meta caches what kind of execution an id is and its parent, for the
	// open executions the engine has seen. Both facts never change.
	meta map[uuid.UUID]execMeta
	// conds tracks description-only condition questions asked in this
	// process, by request id.
	conds map[uuid.UUID]*condState

	running atomic.Bool
	ready   chan struct{}
	// runCtx is Run's context: the lifetime of plugin calls and timers.
	runCtx context.Context
	async  sync.WaitGroup
}

// startJob makes j's adapter call in the background, for the dispatcher.
func (e *Engine) startJob(j *job) {
	ctx := e.runCtx
	e.async.Go(func() { e.runJob(ctx, j) })
}

type planResult struct {
	plan *flowPlan
	err  error
}

type execMeta struct {
	kind   execution.Kind
	parent uuid.UUID
}

// New checks cfg and returns an engine; call Run to start it.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Catalog == nil:
		return nil, errors.New("engine: Config.Catalog is required")
	case cfg.Store == nil:
		return nil, errors.New("engine: Config.Store is required")
	case cfg.Adapters == nil:
		return nil, errors.New("engine: Config.Adapters is required")
	}
	e := &Engine{
		catalog:     cfg.Catalog,
		store:       cfg.Store,
		adapters:    cfg.Adapters,
		log:         cfg.Logger,
		cel:         cfg.Conditions,
		callTimeout: cfg.CallTimeout,
		workers:     cfg.Workers,
		now:         cfg.Now,
		queue:       newWorkQueue(),
		plans:       map[core.Ref]planResult{},
		views:       map[uuid.UUID]*flowView{},
		dirty:       map[uuid.UUID]map[uuid.UUID]bool{},
		meta:        map[uuid.UUID]execMeta{},
		conds:       map[uuid.UUID]*condState{},
		ready:       make(chan struct{}),
		runCtx:      context.Background(),
	}
	if e.log == nil {
		e.log = hclog.NewNullLogger()
	}
	if e.cel == nil {
		c, err := condition.NewCompiler()
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		e.cel = c
	}
	if e.callTimeout <= 0 {
		e.callTimeout = DefaultCallTimeout
	}
	if e.workers <= 0 {
		e.workers = DefaultWorkers
	}
	if e.now == nil {
		e.now = time.Now
	}
	def := cfg.DefaultMaxConcurrency
	if def <= 0 {
		def = DefaultMaxConcurrency
	}
	e.dispatch = newDispatcher(e.startJob, cfg.MaxConcurrency, def)
	return e, nil
}

// Run subscribes to the store and reconciles executions until ctx is done;
// it then stops dispatching, waits for its workers and returns nil. An
// engine runs once. Executions started before Run are picked up when it
// starts; call Recover once Run is running to resume what a previous
// process left open.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	e.runCtx = ctx
	after, err := e.startPosition(ctx)
	if err != nil {
		e.queue.Shutdown()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("engine: finding where to follow the store from: %w", err)
	}
	sub, err := e.store.Subscribe(ctx, store.SubscribeOptions{After: after})
	if err != nil {
		e.queue.Shutdown()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("engine: subscribing to the store: %w", err)
	}
	close(e.ready)
	var workers sync.WaitGroup
	for range e.workers {
		workers.Go(func() { e.work(ctx) })
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			e.queue.Shutdown()
			_ = sub.Close()
			workers.Wait()
			e.async.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("engine: following the store: %w", err)
		}
		e.observe(ctx, ev)
	}
}

// work reconciles queued executions until the queue shuts down.
func (e *Engine) work(ctx context.Context) {
	for {
		id, ok := e.queue.Get()
		if !ok {
			return
		}
		if err := e.reconcile(ctx, id); err != nil && ctx.Err() == nil {
			// A store error: try again shortly rather than lose the
			// execution. Reconcile is idempotent, so repeating is safe.
			e.log.Error("reconcile failed; retrying", "execution", id, "error", err)
			e.after(time.Second, id)
		}
		e.queue.Done(id)
	}
}

// after queues a reconcile of id once d has passed (unless Run ended).
func (e *Engine) after(d time.Duration, id uuid.UUID) {
	ctx := e.runCtx
	e.async.Go(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			e.queue.Add(id)
		case <-ctx.Done():
		}
	})
}

// reconcile brings execution id one step closer to its end.
func (e *Engine) reconcile(ctx context.Context, id uuid.UUID) error {
	m, err := e.metaOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch m.kind {
	case execution.KindFlow:
		return e.reconcileFlow(ctx, id)
	case execution.KindContract:
		return e.reconcileContract(ctx, id)
	}
	return nil
}

// metaOf returns the kind and parent of execution id.
func (e *Engine) metaOf(ctx context.Context, id uuid.UUID) (execMeta, error) {
	e.mu.Lock()
	m, ok := e.meta[id]
	e.mu.Unlock()
	if ok {
		return m, nil
	}
	info, err := e.store.Execution(ctx, id)
	if err != nil {
		return execMeta{}, err
	}
	m = execMeta{kind: info.Kind, parent: info.Parent}
	if !info.Terminal {
		e.remember(id, m)
	}
	return m, nil
}

func (e *Engine) remember(id uuid.UUID, m execMeta) {
	e.mu.Lock()
	e.meta[id] = m
	e.mu.Unlock()
}

func (e *Engine) forget(id uuid.UUID) {
	e.mu.Lock()
	delete(e.meta, id)
	e.mu.Unlock()
}

// observe routes one event of the store to what must react to it: a block
// execution's end wakes its flow (and frees its plugin slot); a flow's or
// contract's creation, progress (condition decisions, cancel requests) wake
// it; their end wakes the contract they belong to.
func (e *Engine) observe(ctx context.Context, ev execution.Event) {
	var m execMeta
	if ev.EventType == execution.EventCreated {
		var c execution.Created
		if err := ev.DecodePayload(&c); err != nil {
			return // a foreign log; nothing of ours
		}
		m = execMeta{kind: c.Kind, parent: c.Parent()}
		e.remember(ev.ExecutionID, m)
	} else {
		var err error
		if m, err = e.metaOf(ctx, ev.ExecutionID); err != nil {
			if ctx.Err() == nil {
				e.log.Warn("event of an unknown execution", "execution", ev.ExecutionID, "error", err)
			}
			return
		}
	}
	terminal := ev.EventType.IsTerminal()
	if terminal {
		e.forget(ev.ExecutionID)
	}
	switch m.kind {
	case execution.KindBlock:
		if !terminal && sdk.IsWaiting(&ev) {
			e.dispatch.waits(ev.ExecutionID) // waiting is not work: free its slot
		}
		if !terminal || m.parent == uuid.Nil {
			return
		}
		e.dispatch.release(ev.ExecutionID)
		e.mu.Lock()
		set := e.dirty[m.parent]
		if set == nil {
			set = map[uuid.UUID]bool{}
			e.dirty[m.parent] = set
		}
		set[ev.ExecutionID] = true
		e.mu.Unlock()
		e.queue.Add(m.parent)
	case execution.KindFlow, execution.KindContract:
		switch {
		case terminal && m.parent != uuid.Nil:
			e.queue.Add(m.parent)
		case ev.EventType == execution.EventCreated, ev.EventType == execution.EventProgress:
			e.queue.Add(ev.ExecutionID)
		}
	}
}

// startPosition returns a store position to follow the store from. Any
// position up to the store's end at the time of subscribing is correct:
// reconciles read the logs themselves after the subscription starts, so
// whatever lies before it is covered by them, and a position too far back
// only replays events whose reconciles find nothing to do. A store that
// knows its last position says so; otherwise the latest events of the most
// recently created executions give a position close to the end in a few
// reads, whatever the store's size.
func (e *Engine) startPosition(ctx context.Context) (uint64, error) {
	if lp, ok := e.store.(interface {
		LastPosition(context.Context) (uint64, error)
	}); ok {
		return lp.LastPosition(ctx)
	}
	recent, err := e.store.ListExecutions(ctx, store.Filter{OpenOnly: true})
	if err == nil && len(recent) == 0 {
		recent, err = e.store.ListExecutions(ctx, store.Filter{})
	}
	if err != nil {
		return 0, err
	}
	const sample = 64
	recent = recent[max(0, len(recent)-sample):]
	var last atomic.Uint64
	err = forEach(ctx, len(recent), e.workers, func(ctx context.Context, i int) error {
		ev, err := e.store.LatestEvent(ctx, recent[i].ID)
		if err != nil {
			return err
		}
		for cur := last.Load(); ev.Position > cur && !last.CompareAndSwap(cur, ev.Position); cur = last.Load() {
		}
		return nil
	})
	return last.Load(), err
}

// forEach runs fn for 0..n-1 on at most limit goroutines and returns the
// first error.
func forEach(ctx context.Context, n, limit int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, limit) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
