package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// jobKind says which adapter call a job makes.
type jobKind int

const (
	jobExecute jobKind = iota // ExecuteBlock: the plugin never saw the block
	jobResume                 // ResumeBlock: continue from the block's log
)

func (k jobKind) String() string {
	if k == jobResume {
		return "ResumeBlock"
	}
	return "ExecuteBlock"
}

// job is one block execution handed to a plugin.
type job struct {
	kind    jobKind
	plugin  string
	adapter sdk.Adapter // nil: look the plugin up by name when the job runs
	blockID uuid.UUID
	flowID  uuid.UUID
	block   *core.WorkBlock
	node    core.NodeReference
	inputs  map[string]any
	attempt int

	queued   bool // waiting for a slot
	inFlight bool // the adapter call has not returned yet
	// waits: the block's log says it waits (sdk.ProgressWaiting), so it
	// holds no slot, though the dispatcher still knows it as handed out.
	waits bool
}

// dispatcher bounds how many block executions work on each plugin at once.
// A block holds its plugin's slot from dispatch until its terminal event or
// its first waiting event (sdk.ProgressWaiting) is observed, so the bound
// is on work in flight — not on calls in flight, and not on blocks that
// wait days for a person. Blocks waiting for a slot queue in FIFO order
// per plugin. The dispatcher only keeps the books; run makes the adapter
// call (asynchronously), so the dispatcher knows nothing of the engine.
//
// The books are rebuilt from the log after a restart: a block handed back
// to its plugin takes a slot, above the limit if need be (it is already
// running there), and gives it up as soon as its log is found to say it
// waits (runJob reads it before resuming).
type dispatcher struct {
	run      func(*job)
	limits   map[string]int
	defLimit int

	mu      sync.Mutex
	plugins map[string]*pluginSlots
	holders map[uuid.UUID]*job // block execution → its job, holding or waiting for a slot
	// waited lists blocks seen to wait while not held here (their job
	// comes later, or another host runs them); a job for one of them
	// takes no slot. Entries go with the block's terminal event.
	waited map[uuid.UUID]bool
}

type pluginSlots struct {
	running int
	waiting []*job
}

func newDispatcher(run func(*job), limits map[string]int, def int) *dispatcher {
	return &dispatcher{run: run, limits: limits, defLimit: def, plugins: map[string]*pluginSlots{}, holders: map[uuid.UUID]*job{}, waited: map[uuid.UUID]bool{}}
}

func (d *dispatcher) limit(plugin string) int {
	if n := d.limits[plugin]; n > 0 {
		return n
	}
	return d.defLimit
}

// submit hands j to its plugin as soon as a slot is free. A block already
// held is not submitted twice. force takes a slot even above the limit:
// blocks being resumed are already running on the plugin, whatever the
// limit says.
func (d *dispatcher) submit(j *job, force bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holders[j.blockID] != nil {
		return
	}
	d.holders[j.blockID] = j
	slots := d.slots(j.plugin)
	if d.waited[j.blockID] {
		j.waits = true
		d.start(j)
		return
	}
	if force || slots.running < d.limit(j.plugin) {
		slots.running++
		d.start(j)
		return
	}
	j.queued = true
	slots.waiting = append(slots.waiting, j)
}

func (d *dispatcher) slots(plugin string) *pluginSlots {
	s := d.plugins[plugin]
	if s == nil {
		s = &pluginSlots{}
		d.plugins[plugin] = s
	}
	return s
}

// start runs j's adapter call. The caller holds d.mu.
func (d *dispatcher) start(j *job) {
	j.queued, j.inFlight = false, true
	d.run(j)
}

// release frees the slot of a block execution that reached its end, and
// starts the next waiting block of that plugin.
func (d *dispatcher) release(blockID uuid.UUID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.waited, blockID)
	j := d.holders[blockID]
	if j == nil {
		return
	}
	delete(d.holders, blockID)
	slots := d.slots(j.plugin)
	if j.queued {
		slots.waiting = slices.DeleteFunc(slots.waiting, func(w *job) bool { return w == j })
		return
	}
	if !j.waits {
		slots.running--
	}
	d.drain(j.plugin, slots)
}

// waits frees the slot of a block whose log says it now waits (see
// sdk.ProgressWaiting) and starts the next block queued for that plugin.
// The block stays known as handed out, so it is neither dispatched again
// nor counted twice; its terminal event still ends it here. A block not
// held here is remembered, so that its job, if it comes, takes no slot.
func (d *dispatcher) waits(blockID uuid.UUID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.holders[blockID]
	if j == nil {
		d.waited[blockID] = true
		return
	}
	if j.waits {
		return
	}
	j.waits = true
	if j.queued {
		// Its plugin already has it (a previous process handed it over):
		// it will be called in its turn, without taking a slot then.
		return
	}
	slots := d.slots(j.plugin)
	slots.running--
	d.drain(j.plugin, slots)
}

// drain starts queued blocks of plugin while it has free slots. A queued
// block already known to wait starts without taking one. The caller holds
// d.mu.
func (d *dispatcher) drain(plugin string, slots *pluginSlots) {
	for len(slots.waiting) > 0 {
		next := slots.waiting[0]
		if !next.waits {
			if slots.running >= d.limit(plugin) {
				return
			}
			slots.running++
		}
		slots.waiting = slots.waiting[1:]
		d.start(next)
	}
}

// inUse reports how many slots of plugin are taken and how many blocks
// queue for one: what the limit bounds.
func (d *dispatcher) inUse(plugin string) (running, queued int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.slots(plugin)
	return s.running, len(s.waiting)
}

// dropQueued removes a block that still waits for a slot (it never reached
// its plugin) and reports whether it did.
func (d *dispatcher) dropQueued(blockID uuid.UUID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.holders[blockID]
	if j == nil || !j.queued {
		return false
	}
	delete(d.holders, blockID)
	s := d.slots(j.plugin)
	s.waiting = slices.DeleteFunc(s.waiting, func(w *job) bool { return w == j })
	return true
}

// state reports whether the block is held by this process and whether its
// adapter call is still in flight.
func (d *dispatcher) state(blockID uuid.UUID) (held, inFlight bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.holders[blockID]
	return j != nil, j != nil && j.inFlight
}

func (d *dispatcher) returned(j *job) {
	d.mu.Lock()
	j.inFlight = false
	d.mu.Unlock()
}

// runJob makes j's adapter call. A call that fails or times out fails the
// block with the reason; a block that ended before its turn came is let go.
func (e *Engine) runJob(ctx context.Context, j *job) {
	defer e.dispatch.returned(j)
	if j.kind == jobResume {
		// A block handed back after a restart took a slot (it runs on its
		// plugin whatever the limit says); its log says whether it only
		// waits, and then the slot goes back at once: the accounting is
		// rebuilt from the log, not carried over from the dead process.
		if events, err := e.store.Events(ctx, j.blockID, 0); err == nil {
			if slices.ContainsFunc(events, func(ev execution.Event) bool { return ev.EventType.IsTerminal() }) {
				e.dispatch.release(j.blockID)
				return
			}
			if sdk.Waits(events) {
				e.dispatch.waits(j.blockID)
			}
		}
	} else if info, err := e.store.Execution(ctx, j.blockID); err == nil && info.Terminal {
		e.dispatch.release(j.blockID)
		return
	}
	err := e.callAdapter(ctx, j)
	if err == nil || ctx.Err() != nil {
		// When the engine itself is stopping, the call was cut short by us,
		// not failed by the plugin: recovery will make it again.
		return
	}
	if errors.Is(err, sdk.ErrUnavailable) {
		// The plugin process is gone; the plugin manager restarts it and
		// calls PluginRestarted, which resumes this block. Failing it now
		// would turn a crash the host recovers from into a failure.
		e.log.Warn("plugin unavailable; the block waits for its restart", "plugin", j.plugin, "block_execution", j.blockID, "error", err)
		return
	}
	reason := fmt.Sprintf("plugin %q: %s failed: %v", j.plugin, j.kind, err)
	if errors.Is(err, context.DeadlineExceeded) {
		reason = fmt.Sprintf("plugin %q: %s did not answer within %s", j.plugin, j.kind, e.callTimeout)
		// A slow plugin may still be doing the work: once the failure is
		// recorded (below), ask it to stop before a retry can start, so
		// the work does not run twice. Its own record of the cancellation
		// then meets the terminal event and is refused, as it should be.
		defer e.cancelTimedOut(ctx, j, reason)
	}
	e.log.Warn("block execution failed in dispatch", "block_execution", j.blockID, "reason", reason)
	ev := e.hostEvent(j.blockID, "adapter_error", execution.EventFailed,
		execution.Failure{Reason: reason, Code: CodeAdapterError})
	if _, err := e.appendEvents(ctx, ev); err != nil && !isFinal(err) && ctx.Err() == nil {
		e.log.Error("recording a dispatch failure", "block_execution", j.blockID, "error", err)
	}
}

func (e *Engine) callAdapter(ctx context.Context, j *job) error {
	a := j.adapter
	if a == nil {
		var err error
		if a, err = e.adapters.Adapter(ctx, j.plugin); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.callTimeout)
	defer cancel()
	if j.kind == jobResume {
		return a.ResumeBlock(ctx, sdk.ResumeRequest{
			ExecutionID: j.blockID, FlowExecutionID: j.flowID,
			Block: *j.block, Node: j.node, Store: e.store,
		})
	}
	_, err := a.ExecuteBlock(ctx, sdk.ExecuteRequest{
		ExecutionID: j.blockID, FlowExecutionID: j.flowID,
		Block: *j.block, Node: j.node, Inputs: j.inputs, Attempt: j.attempt,
		Sequence: 1, // the created event, the only one the log holds yet
		Store:    e.store,
	})
	return err
}

// hold registers j as holding a slot of its plugin, above the limit if
// need be, without starting it: the caller makes the call when hold
// reports it should. A block still waiting for a slot will be dispatched
// in its turn, so it is not called now; a block already held keeps its job.
func (d *dispatcher) hold(j *job) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if held := d.holders[j.blockID]; held != nil {
		return !held.queued
	}
	d.holders[j.blockID] = j
	if d.waited[j.blockID] {
		j.waits = true
	} else {
		d.slots(j.plugin).running++
	}
	j.inFlight = true
	return true
}

// cancelTimedOut asks the plugin, best effort, to abandon a block whose
// call timed out.
func (e *Engine) cancelTimedOut(ctx context.Context, j *job, reason string) {
	a := j.adapter
	if a == nil {
		var err error
		if a, err = e.adapters.Adapter(ctx, j.plugin); err != nil {
			return
		}
	}
	cctx, cancel := context.WithTimeout(ctx, e.callTimeout)
	defer cancel()
	if err := a.CancelBlock(cctx, sdk.CancelRequest{ExecutionID: j.blockID, Reason: reason, Store: e.store}); err != nil {
		e.log.Warn("cancelling a block whose call timed out", "block_execution", j.blockID, "error", err)
	}
}
