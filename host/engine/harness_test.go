package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

var testNS = uuid.MustParse("6f1d9a52-8a3e-4c5b-9b7e-3c1a2b4d5e6f")

func id(name string) uuid.UUID { return uuid.NewSHA1(testNS, []byte(name)) }

// ---- definitions ----

func block(name string, inputs, outputs []string, hints ...string) core.WorkBlock {
	b := core.WorkBlock{ID: id("block/" + name), Version: 1, Name: name, ExecutionHints: hints, Metadata: core.Metadata{}}
	for _, in := range inputs {
		required := true
		if len(in) > 0 && in[0] == '?' {
			in, required = in[1:], false
		}
		b.Inputs = append(b.Inputs, core.PortDescriptor{Name: in, Required: required})
	}
	for _, out := range outputs {
		b.Outputs = append(b.Outputs, core.PortDescriptor{Name: out, Required: true})
	}
	return b
}

type flowBuilder struct {
	cat  *core.Catalog
	flow core.Flow
	t    testing.TB
}

func newFlow(t testing.TB, cat *core.Catalog, name string) *flowBuilder {
	return &flowBuilder{cat: cat, t: t, flow: core.Flow{ID: id("flow/" + name), Version: 1, Name: name, Metadata: core.Metadata{}}}
}

// node adds a slot for block b (added to the catalog if new) with alias.
func (f *flowBuilder) node(alias string, b core.WorkBlock, meta ...map[string]any) uuid.UUID {
	if _, ok := f.cat.WorkBlock(b.ID, b.Version); !ok {
		if err := f.cat.AddWorkBlock(b, core.Source{}); err != nil {
			f.t.Fatal(err)
		}
	}
	n := core.NodeReference{ID: id(f.flow.Name + "/node/" + alias), TargetID: b.ID, TargetVersion: b.Version, Alias: alias, Metadata: core.Metadata{}}
	if len(meta) > 0 {
		n.Metadata = meta[0]
	}
	f.flow.Nodes = append(f.flow.Nodes, n)
	return n.ID
}

func (f *flowBuilder) edge(from, to uuid.UUID, cond *core.Condition, mappings ...string) {
	e := core.Edge{SourceID: from, TargetID: to, Condition: cond}
	for i := 0; i+1 < len(mappings); i += 2 {
		e.PortMappings = append(e.PortMappings, core.PortMapping{SourcePort: mappings[i], TargetPort: mappings[i+1]})
	}
	f.flow.Edges = append(f.flow.Edges, e)
}

func (f *flowBuilder) add() *core.Flow {
	if err := f.cat.AddFlow(f.flow, core.Source{File: "flows/" + f.flow.Name + ".yaml"}); err != nil {
		f.t.Fatal(err)
	}
	got, _ := f.cat.Flow(f.flow.ID, f.flow.Version)
	return got
}

func cel(expr string) *core.Condition { return &core.Condition{Predicate: map[string]any{"cel": expr}} }

func ask(description string) *core.Condition { return &core.Condition{Description: description} }

// ---- the fake plugin ----

// behaviour is what the fake plugin does with one block execution. It
// records events through run.emit, which derives each event's id from the
// execution and its purpose, as a well-behaved plugin does, so a resumed
// run appends only what is missing.
type behaviour func(ctx context.Context, run *blockRun) error

type blockRun struct {
	p       *fakePlugin
	id      uuid.UUID
	inputs  map[string]any
	attempt int
	store   store.EventStore
}

func (r *blockRun) emit(ctx context.Context, purpose string, t execution.EventType, payload any) error {
	raw, err := execution.MarshalPayload(payload)
	if err != nil {
		return err
	}
	ev := execution.Event{
		ID: r.eventID(purpose), ExecutionID: r.id, EventType: t, Payload: raw,
		Executor: &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: r.p.name + "/" + r.p.generation},
	}
	_, err = r.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
	if errors.Is(err, store.ErrFinal) {
		return nil
	}
	return err
}

// eventID derives an event's id from its purpose, so a resumed run
// appends only what is missing. An assignment is per plugin process: a
// restarted plugin assigns a new executor.
func (r *blockRun) eventID(purpose string) uuid.UUID {
	if purpose == "assigned" {
		purpose += "/" + r.p.generation
	}
	return uuid.NewSHA1(r.id, []byte("fake/"+purpose))
}

// start records assignment and start.
func (r *blockRun) start(ctx context.Context) error {
	if err := r.emit(ctx, "assigned", execution.EventExecutorAssigned, nil); err != nil {
		return err
	}
	return r.emit(ctx, "started", execution.EventStarted, nil)
}

func (r *blockRun) complete(ctx context.Context, outputs map[string]any) error {
	if err := r.emit(ctx, "outcome", execution.EventOutcomeProduced, outputs); err != nil {
		return err
	}
	return r.emit(ctx, "completed", execution.EventCompleted, nil)
}

func (r *blockRun) fail(ctx context.Context, reason string) error {
	return r.emit(ctx, "failed", execution.EventFailed, execution.Failure{Reason: reason})
}

// produce completes with outputs computed from the inputs.
func produce(f func(in map[string]any) map[string]any) behaviour {
	return func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		return r.complete(ctx, f(r.inputs))
	}
}

func outputs(out map[string]any) behaviour {
	return produce(func(map[string]any) map[string]any { return out })
}

func failing(reason string) behaviour {
	return func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		return r.fail(ctx, reason)
	}
}

// hanging runs until cancelled.
func hanging(ctx context.Context, r *blockRun) error {
	if err := r.start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// failUntil fails attempts before n, then completes with out.
func failUntil(n int, out map[string]any) behaviour {
	return func(ctx context.Context, r *blockRun) error {
		if r.attempt < n {
			return failing(fmt.Sprintf("attempt %d: flaky", r.attempt))(ctx, r)
		}
		return outputs(out)(ctx, r)
	}
}

type call struct {
	kind string // execute, resume, cancel, condition
	id   uuid.UUID
	cond sdk.ConditionRequest
}

// fakePlugin is an in-process adapter: a test double of a plugin process.
type fakePlugin struct {
	name       string
	generation string
	behaviours map[string]behaviour // by block name; default: complete with no outputs
	// executeErr, when set, makes ExecuteBlock fail for blocks it names.
	executeErr map[string]error
	// executeBlocks, when set, makes ExecuteBlock never return (a plugin
	// that does not answer) for the blocks it names.
	executeBlocks map[string]bool
	conditions    func(req sdk.ConditionRequest) (sdk.ConditionResult, error)
	// silentCancel makes CancelBlock accept the request and record nothing
	// (a plugin that never confirms).
	silentCancel bool

	ctx    context.Context // the plugin process's life
	kill   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	calls  []call
	stops  map[uuid.UUID]context.CancelFunc
	killed atomic.Bool
}

func newFakePlugin(name, generation string) *fakePlugin {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakePlugin{name: name, generation: generation, behaviours: map[string]behaviour{}, ctx: ctx, kill: cancel, stops: map[uuid.UUID]context.CancelFunc{}}
}

// Kill stops the plugin as a crash would: its work stops mid-way.
func (p *fakePlugin) Kill() {
	p.mu.Lock()
	p.killed.Store(true)
	p.mu.Unlock()
	p.kill()
	p.wg.Wait()
}

func (p *fakePlugin) record(c call) {
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
}

func (p *fakePlugin) callsOf(kind string) []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []call
	for _, c := range p.calls {
		if c.kind == kind {
			out = append(out, c)
		}
	}
	return out
}

func (p *fakePlugin) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: p.name, Hints: []string{"*"}, Conditions: true}, nil
}

func (p *fakePlugin) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	p.record(call{kind: "execute", id: req.ExecutionID})
	if p.killed.Load() {
		return uuid.Nil, sdk.ErrUnavailable
	}
	if err := p.executeErr[req.Block.Name]; err != nil {
		return uuid.Nil, err
	}
	if p.executeBlocks[req.Block.Name] {
		<-ctx.Done()
		return uuid.Nil, ctx.Err()
	}
	p.run(req.ExecutionID, req.Block.Name, req.Inputs, req.Attempt, req.Store)
	return req.ExecutionID, nil
}

func (p *fakePlugin) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	p.record(call{kind: "resume", id: req.ExecutionID})
	if p.killed.Load() {
		return sdk.ErrUnavailable
	}
	events, err := req.Store.Events(ctx, req.ExecutionID, 0)
	if err != nil {
		return err
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return err
	}
	if execution.DeriveBlockState(events).IsTerminal() {
		return nil
	}
	p.run(req.ExecutionID, req.Block.Name, created.Inputs, max(created.Attempt, 1), req.Store)
	return nil
}

// run does the block's work after the call returned, as a plugin does.
func (p *fakePlugin) run(id uuid.UUID, blockName string, inputs map[string]any, attempt int, st store.EventStore) {
	ctx, stop := context.WithCancel(p.ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed.Load() {
		stop()
		return
	}
	p.stops[id] = stop
	b := p.behaviours[blockName]
	if b == nil {
		b = outputs(map[string]any{})
	}
	r := &blockRun{p: p, id: id, inputs: inputs, attempt: attempt, store: st}
	p.wg.Go(func() {
		defer stop()
		_ = b(ctx, r)
	})
}

func (p *fakePlugin) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	p.record(call{kind: "cancel", id: req.ExecutionID})
	p.mu.Lock()
	stop := p.stops[req.ExecutionID]
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
	if p.silentCancel {
		return nil
	}
	r := &blockRun{p: p, id: req.ExecutionID, store: req.Store}
	return r.emit(ctx, "cancelled", execution.EventCancelled, execution.Failure{Reason: req.Reason})
}

func (p *fakePlugin) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (sdk.ConditionResult, error) {
	p.record(call{kind: "condition", id: req.RequestID, cond: req})
	if p.conditions == nil {
		return sdk.ConditionResult{}, errors.New("this plugin does not judge conditions")
	}
	return p.conditions(req)
}

// ---- the harness ----

// switchable is the adapter registered under the plugin's name; swapping
// its plugin is what a plugin manager does when it restarts a process.
type switchable struct {
	mu sync.Mutex
	p  *fakePlugin
}

func (s *switchable) cur() *fakePlugin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

func (s *switchable) Describe(ctx context.Context) (sdk.Info, error) { return s.cur().Describe(ctx) }
func (s *switchable) ExecuteBlock(ctx context.Context, r sdk.ExecuteRequest) (uuid.UUID, error) {
	return s.cur().ExecuteBlock(ctx, r)
}
func (s *switchable) ResumeBlock(ctx context.Context, r sdk.ResumeRequest) error {
	return s.cur().ResumeBlock(ctx, r)
}
func (s *switchable) CancelBlock(ctx context.Context, r sdk.CancelRequest) error {
	return s.cur().CancelBlock(ctx, r)
}
func (s *switchable) EvaluateCondition(ctx context.Context, r sdk.ConditionRequest) (sdk.ConditionResult, error) {
	return s.cur().EvaluateCondition(ctx, r)
}

type harness struct {
	t      testing.TB
	cat    *core.Catalog
	store  store.EventStore
	plugin *fakePlugin
	slot   *switchable
	engine *Engine
	stop   context.CancelFunc
	done   chan error
}

type harnessOption func(*Config, *router.Config)

func withCallTimeout(d time.Duration) harnessOption {
	return func(c *Config, _ *router.Config) { c.CallTimeout = d }
}

func withRouting(rc router.Config) harnessOption {
	return func(_ *Config, r *router.Config) { *r = rc }
}

func newHarness(t testing.TB, cat *core.Catalog, st store.EventStore, p *fakePlugin, opts ...harnessOption) *harness {
	t.Helper()
	if st == nil {
		st = memory.New()
	}
	if p == nil {
		p = newFakePlugin("fake", "1")
	}
	rc := router.Config{Plugins: []router.Plugin{{Name: "fake", Hints: []string{"shell", "agent", "human"}}}, DefaultPlugin: "fake"}
	cfg := Config{Catalog: cat, Store: st, CallTimeout: 5 * time.Second, Workers: 4}
	for _, o := range opts {
		o(&cfg, &rc)
	}
	r, err := router.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	slot := &switchable{p: p}
	cfg.Adapters = StaticAdapters(r, map[string]sdk.Adapter{"fake": slot}, "fake")
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, cat: cat, store: st, plugin: p, slot: slot, engine: e, stop: cancel, done: make(chan error, 1)}
	go func() { h.done <- e.Run(ctx) }()
	t.Cleanup(func() { h.shutdown(); p.Kill() })
	return h
}

// restartPlugin kills the plugin and puts a new process of it in its place.
func (h *harness) restartPlugin(next *fakePlugin) {
	old := h.slot.cur()
	old.Kill()
	h.slot.mu.Lock()
	h.slot.p = next
	h.slot.mu.Unlock()
	h.plugin = next
	h.t.Cleanup(next.Kill)
}

// shutdown stops the engine (as a host being killed would, from the
// engine's side) and waits for Run to return.
func (h *harness) shutdown() {
	h.stop()
	if err := <-h.done; err != nil && !errors.Is(err, errCrashed) {
		h.t.Errorf("Run: %v", err)
	}
	h.done <- nil // later shutdowns return at once
}

func (h *harness) wait(id uuid.UUID) execution.State {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := h.engine.Wait(ctx, id)
	if err != nil {
		h.t.Fatalf("Wait: %v", err)
	}
	return s
}

func (h *harness) status(id uuid.UUID) *Report {
	h.t.Helper()
	r, err := h.engine.Status(context.Background(), id)
	if err != nil {
		h.t.Fatalf("Status: %v", err)
	}
	return r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
