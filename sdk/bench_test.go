package sdk_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// testPluginBinary builds sdk/internal/testplugin once per benchmark run:
// the figures are for a real plugin binary, not the test binary.
var testPluginBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "openoma-sdk-bench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "testplugin")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/openoma/openoma/sdk/internal/testplugin").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build testplugin: %v\n%s", err, out)
	}
	return bin, nil
})

func startTestPlugin(b *testing.B, adapter string, autoMTLS bool) (*plugin.Client, sdk.Adapter) {
	b.Helper()
	bin, err := testPluginBinary()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "OPENOMA_TESTPLUGIN="+adapter)
	cfg := sdk.ClientConfig(cmd, hclog.NewNullLogger())
	cfg.AutoMTLS = autoMTLS
	client := plugin.NewClient(cfg)
	a, err := sdk.Dispense(client)
	if err != nil {
		client.Kill()
		b.Fatal(err)
	}
	return client, a
}

// BenchmarkPluginStart: launch → handshake → first successful call.
func BenchmarkPluginStart(b *testing.B) {
	if _, err := testPluginBinary(); err != nil {
		b.Fatal(err)
	}
	for _, mtls := range []bool{false, true} {
		b.Run(fmt.Sprintf("AutoMTLS=%v", mtls), func(b *testing.B) {
			for b.Loop() {
				client, a := startTestPlugin(b, "accept", mtls)
				if _, err := a.Describe(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				client.Kill()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkCall: a unary call (Describe) and an ExecuteBlock round trip
// with a store served over the broker, to an adapter that does no work.
func BenchmarkCall(b *testing.B) {
	client, a := startTestPlugin(b, "accept", true)
	defer client.Kill()
	ctx := context.Background()
	b.Run("Describe", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Describe(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	s := memory.New()
	defer s.Close()
	block := noopBlock()
	req := sdk.ExecuteRequest{Block: block, Node: core.NodeReference{ID: uuid.New(), TargetID: block.ID, TargetVersion: 1},
		Inputs: map[string]any{}, Attempt: 1, Sequence: 1, Store: s}
	b.Run("ExecuteBlock", func(b *testing.B) {
		for b.Loop() {
			req.ExecutionID = uuid.New()
			if _, err := a.ExecuteBlock(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func noopBlock() core.WorkBlock {
	return core.WorkBlock{ID: uuid.New(), Version: 1, Name: "noop", ExecutionHints: []string{"echo"}}
}

// lifecycleHost plays the host's part of a block's lifecycle: append
// created, call ExecuteBlock, learn of the terminal event from one
// subscription to the whole store (as the host's engine does).
type lifecycleHost struct {
	store *memory.Store
	block core.WorkBlock
	node  core.NodeReference

	mu      sync.Mutex
	waiters map[uuid.UUID]chan struct{}
}

func newLifecycleHost(b *testing.B) *lifecycleHost {
	h := &lifecycleHost{store: memory.New(), block: noopBlock(), waiters: map[uuid.UUID]chan struct{}{}}
	h.node = core.NodeReference{ID: uuid.New(), TargetID: h.block.ID, TargetVersion: 1}
	sub, err := h.store.Subscribe(context.Background(), store.SubscribeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			ev, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			if ev.EventType.IsTerminal() {
				h.mu.Lock()
				if ch, ok := h.waiters[ev.ExecutionID]; ok {
					close(ch)
					delete(h.waiters, ev.ExecutionID)
				}
				h.mu.Unlock()
			}
		}
	}()
	b.Cleanup(func() { _ = sub.Close(); _ = h.store.Close() })
	return h
}

// create appends a block execution's created event and registers a waiter
// for its end.
func (h *lifecycleHost) create(ctx context.Context) (sdk.ExecuteRequest, chan struct{}, error) {
	id := uuid.New()
	done := make(chan struct{})
	h.mu.Lock()
	h.waiters[id] = done
	h.mu.Unlock()
	ev, err := execution.NewEvent(id, execution.EventCreated, nil, execution.Created{
		Kind: execution.KindBlock, NodeReferenceID: h.node.ID, WorkBlockID: h.block.ID, WorkBlockVersion: 1, Attempt: 1,
	})
	if err != nil {
		return sdk.ExecuteRequest{}, nil, err
	}
	stored, err := h.store.Append(ctx, []execution.Event{ev}, store.ExpectSequence(0))
	if err != nil {
		return sdk.ExecuteRequest{}, nil, err
	}
	return sdk.ExecuteRequest{ExecutionID: id, Block: h.block, Node: h.node, Inputs: map[string]any{},
		Attempt: 1, Sequence: stored[0].Sequence, Store: h.store}, done, nil
}

// throughPlugin runs one no-op lifecycle through the plugin: created, then
// ExecuteBlock; the plugin appends assigned+started and outcome+completed.
func (h *lifecycleHost) throughPlugin(ctx context.Context, a sdk.Adapter) error {
	req, done, err := h.create(ctx)
	if err != nil {
		return err
	}
	if _, err := a.ExecuteBlock(ctx, req); err != nil {
		return err
	}
	<-done
	return nil
}

// direct runs the same lifecycle, the same appends, on the memory store
// in-process: the cost without the process boundary.
func (h *lifecycleHost) direct(ctx context.Context) error {
	req, done, err := h.create(ctx)
	if err != nil {
		return err
	}
	em := req.Emitter(sdk.System("echo"))
	if err := em.Begin(ctx); err != nil {
		return err
	}
	if err := em.Finish(ctx, nil); err != nil {
		return err
	}
	<-done
	return nil
}

// BenchmarkLifecycle: a no-op block's whole lifecycle (created,
// executor_assigned, started, completed) through a real plugin process
// over AutoMTLS, sequential and from 8 concurrent blocks, against the same
// lifecycle appended directly to a memory store.
func BenchmarkLifecycle(b *testing.B) {
	client, a := startTestPlugin(b, "echo", true)
	defer client.Kill()
	ctx := context.Background()
	modes := []struct {
		name string
		run  func(h *lifecycleHost) error
	}{
		{"Plugin", func(h *lifecycleHost) error { return h.throughPlugin(ctx, a) }},
		{"Direct", func(h *lifecycleHost) error { return h.direct(ctx) }},
	}
	for _, m := range modes {
		b.Run(m.name+"/Sequential", func(b *testing.B) {
			h := newLifecycleHost(b)
			var latencies []time.Duration
			for b.Loop() {
				start := time.Now()
				if err := m.run(h); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
			}
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "µs-median")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "µs-p99")
		})
		b.Run(m.name+"/Concurrent8", func(b *testing.B) {
			h := newLifecycleHost(b)
			b.SetParallelism(max(1, 8/runtimeProcs()))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := m.run(h); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lifecycles/s")
		})
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
