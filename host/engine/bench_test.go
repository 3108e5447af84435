package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
	"github.com/openoma/openoma/store/memory"
)

// noopAdapter completes every block at once, from a goroutine as a plugin
// would, recording its lifecycle in one append; resumes are counted and
// left running.
type noopAdapter struct {
	resumed atomic.Int64
	hold    bool // do not complete: leave blocks open
}

func (a *noopAdapter) Describe(context.Context) (sdk.Info, error) { return sdk.Info{Name: "noop"}, nil }

func (a *noopAdapter) ExecuteBlock(_ context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	if a.hold {
		return req.ExecutionID, nil
	}
	go func() {
		x := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "noop"}
		events := []execution.Event{
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("a")), ExecutionID: req.ExecutionID, EventType: execution.EventExecutorAssigned, Executor: x},
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("s")), ExecutionID: req.ExecutionID, EventType: execution.EventStarted, Executor: x},
			{ID: uuid.NewSHA1(req.ExecutionID, []byte("c")), ExecutionID: req.ExecutionID, EventType: execution.EventCompleted, Executor: x},
		}
		_, _ = req.Store.Append(context.Background(), events, store.AppendOptions{})
	}()
	return req.ExecutionID, nil
}

func (a *noopAdapter) ResumeBlock(context.Context, sdk.ResumeRequest) error {
	a.resumed.Add(1)
	return nil
}

func (a *noopAdapter) CancelBlock(context.Context, sdk.CancelRequest) error { return nil }

func (a *noopAdapter) EvaluateCondition(context.Context, sdk.ConditionRequest) (sdk.ConditionResult, error) {
	return sdk.ConditionResult{Value: true}, nil
}

func benchEngine(b *testing.B, cat *core.Catalog, st store.EventStore, a sdk.Adapter, maxConcurrency int) (*Engine, func()) {
	r, err := router.New(router.Config{Plugins: []router.Plugin{{Name: "noop", Hints: []string{"*"}}}, DefaultPlugin: "noop"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Config{
		Catalog: cat, Store: st, Adapters: StaticAdapters(r, map[string]sdk.Adapter{"noop": a}, "noop"),
		DefaultMaxConcurrency: maxConcurrency,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.Run(ctx); close(done) }()
	return e, func() { cancel(); <-done }
}

// BenchmarkSequentialChain runs chains of no-op blocks: the engine's
// overhead per block (created, dispatch, completion observed, edge decided,
// next created) over the memory store. A reconcile walks the whole flow,
// so the cost per block grows with the flow's length: 50 nodes is a large
// real flow, 1,000 the figure asked for.
func BenchmarkSequentialChain(b *testing.B) {
	for _, n := range []int{50, 1000} {
		b.Run(fmt.Sprintf("blocks=%d", n), func(b *testing.B) { benchmarkChain(b, n) })
	}
}

func benchmarkChain(b *testing.B, n int) {
	cat := core.NewCatalog()
	f := newFlow(b, cat, "Chain")
	prev := uuid.Nil
	for i := range n {
		cur := f.node(fmt.Sprint("n", i), block("Noop", nil, nil))
		f.edge(prev, cur, nil)
		prev = cur
	}
	f.add()
	e, stop := benchEngine(b, cat, memory.New(), &noopAdapter{}, DefaultMaxConcurrency)
	defer stop()
	ctx := context.Background()
	cpu0 := cpuTime()
	for b.Loop() {
		id, err := e.StartFlow(ctx, "Chain", nil)
		if err != nil {
			b.Fatal(err)
		}
		if s, err := e.Wait(ctx, id); err != nil || s != execution.StateCompleted {
			b.Fatalf("%s %v", s, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/block")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*n), "cpu-µs/block")
}

// BenchmarkFanOut runs 1,000 independent blocks of one flow.
func BenchmarkFanOut(b *testing.B) {
	for _, limit := range []int{DefaultMaxConcurrency, 1000} {
		b.Run(fmt.Sprintf("max_concurrency=%d", limit), func(b *testing.B) {
			const n = 1000
			cat := core.NewCatalog()
			f := newFlow(b, cat, "Fan")
			for i := range n {
				f.edge(uuid.Nil, f.node(fmt.Sprint("n", i), block("Noop", nil, nil)), nil)
			}
			f.add()
			e, stop := benchEngine(b, cat, memory.New(), &noopAdapter{}, limit)
			defer stop()
			ctx := context.Background()
			cpu0 := cpuTime()
			for b.Loop() {
				id, err := e.StartFlow(ctx, "Fan", nil)
				if err != nil {
					b.Fatal(err)
				}
				if s, err := e.Wait(ctx, id); err != nil || s != execution.StateCompleted {
					b.Fatalf("%s %v", s, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "blocks/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*n), "cpu-µs/block")
		})
	}
}

// BenchmarkRecover measures a host starting over 10,000 open flow
// executions, each with a block its plugin had started: from Run to every
// block's ResumeBlock call, and the heap the engine adds.
func BenchmarkRecover(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.EventStore
	}{
		{"memory", func(*testing.B) store.EventStore { return memory.New() }},
		{"badger", func(b *testing.B) store.EventStore {
			st, err := badger.Open(b.TempDir(), badger.Options{Durability: badger.DurabilityAsync})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) { benchmarkRecover(b, s.open) })
	}
}

func benchmarkRecover(b *testing.B, open func(*testing.B) store.EventStore) {
	const n = 10000
	cat := core.NewCatalog()
	f := newFlow(b, cat, "Open")
	first := f.node("first", block("Noop", nil, nil))
	f.edge(uuid.Nil, first, nil)
	f.edge(first, f.node("second", block("Noop", nil, nil)), nil)
	flow := f.add()
	for b.Loop() {
		b.StopTimer()
		st := openFlows(b, open(b), flow, first, n)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		a := &noopAdapter{hold: true}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		e, stop := benchEngine(b, cat, st, a, DefaultMaxConcurrency)
		if err := e.Recover(context.Background()); err != nil {
			b.Fatal(err)
		}
		for a.resumed.Load() < n {
			time.Sleep(100 * time.Microsecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms/recover")
		b.ReportMetric(float64((cpuTime() - cpu0).Milliseconds()), "cpu-ms/recover")
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "engine-MiB")
		b.ReportMetric(float64(before.HeapInuse)/(1<<20), "store-MiB")
		stop()
		b.StartTimer()
	}
}

// openFlows writes what a killed host leaves behind: n flow executions,
// each started, with its first block executed and started by a plugin.
func openFlows(b *testing.B, st store.EventStore, flow *core.Flow, node uuid.UUID, n int) store.EventStore {
	ctx := context.Background()
	x := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "noop/dead"}
	blk := flow.Nodes[0]
	for range n {
		fid := uuid.New()
		fc, _ := execution.MarshalPayload(execution.Created{Kind: execution.KindFlow, FlowID: flow.ID, FlowVersion: flow.Version, Role: execution.RoleWork})
		if _, err := st.Append(ctx, []execution.Event{
			{ID: eventID(fid, "created"), ExecutionID: fid, EventType: execution.EventCreated, Payload: fc},
			{ID: eventID(fid, "started"), ExecutionID: fid, EventType: execution.EventStarted},
		}, store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
		bid := blockExecutionID(fid, node, 1)
		bc, _ := execution.MarshalPayload(execution.Created{
			Kind: execution.KindBlock, FlowExecutionID: fid, NodeReferenceID: node,
			WorkBlockID: blk.TargetID, WorkBlockVersion: blk.TargetVersion, Attempt: 1,
		})
		if _, err := st.Append(ctx, []execution.Event{
			{ID: eventID(bid, "created"), ExecutionID: bid, EventType: execution.EventCreated, Payload: bc, Metadata: map[string]any{MetadataPlugin: "noop"}},
			{ExecutionID: bid, EventType: execution.EventExecutorAssigned, Executor: x},
			{ExecutionID: bid, EventType: execution.EventStarted, Executor: x},
		}, store.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// cpuTime is the process's CPU time so far (user + system): on a shared
// machine, wall-clock figures carry other processes' load; CPU time does
// not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
