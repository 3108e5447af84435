package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/openoma/openoma/store"
)

// Reopener is an optional capability of the stores a Run factory returns:
// a durable store that can be closed and opened again on the same data.
// The linearizability property restarts such a store between operations,
// so what one incarnation acknowledged must be what the next one reads.
type Reopener interface {
	store.EventStore
	// Reopen closes the store and opens it again on the same data. The
	// returned store replaces the receiver, which is not used again.
	Reopen(ctx context.Context) (Reopener, error)
}

func linearizabilityProperties() []property {
	return []property{
		{"Linearizable/ConcurrentHistories", func(t *testing.T, s store.EventStore) {
			checkLinearizable(t, s, false)
		}},
		{"Linearizable/ConcurrentHistoriesWithRestarts", func(t *testing.T, s store.EventStore) {
			if _, ok := s.(Reopener); !ok {
				t.Skip("the store cannot be reopened (it does not implement storetest.Reopener)")
			}
			checkLinearizable(t, s, true)
		}},
	}
}

// Shape of the histories: small enough that each is checked in
// milliseconds and a store's histories run in a few seconds, large enough
// that appends overlap in every group commit.
const (
	linSeeds           = 10
	linClients         = 8
	linOpsPerClient    = 24
	linRestartEvery    = 96 // operations of a history between restarts
	linSeedEnvironment = "OPENOMA_STORETEST_SEED"
)

// checkLinearizable runs linSeeds concurrent histories against s, each on
// a fresh execution, and checks every one with porcupine against the model
// of one execution's log (linmodel.go). With restarts, the store is closed
// and reopened between operations every linRestartEvery operations.
func checkLinearizable(t *testing.T, s store.EventStore, restarts bool) {
	h := &linHarness{current: s}
	t.Cleanup(func() { _ = h.store().Close() })
	base := linBaseSeed(t)
	var seen coverage
	defer func() {
		if !t.Failed() {
			seen.check(t)
		}
	}()
	for i := range linSeeds {
		seed := base + uint64(i)
		ops, events, ok := h.runHistory(t, seed, restarts)
		if !ok {
			t.Fatalf("history with seed %d failed (rerun it with %s=%d)", seed, linSeedEnvironment, seed)
		}
		seen.count(ops)
		model := logModel{events: events}.porcupineModel()
		res, info := porcupine.CheckOperationsVerbose(model, ops, waitLimit)
		switch res {
		case porcupine.Ok:
			continue
		case porcupine.Unknown:
			t.Fatalf("seed %d: porcupine could not decide within %s whether %d operations are linearizable", seed, waitLimit, len(ops))
		}
		t.Errorf("seed %d: the history of %d operations is not linearizable (rerun the plan with %s=%d)\n%s",
			seed, len(ops), linSeedEnvironment, seed, explainIllegal(model, ops, info))
		return
	}
}

// linBaseSeed picks the first seed: from the environment to replay a
// failure, else from the clock. Either way it is logged.
func linBaseSeed(t *testing.T) uint64 {
	if v := os.Getenv(linSeedEnvironment); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", linSeedEnvironment, v, err)
		}
		t.Logf("seeds %d… from %s", seed, linSeedEnvironment)
		return seed
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seeds %d…%d (replay with %s=%d)", seed, seed+linSeeds-1, linSeedEnvironment, seed)
	return seed
}

// linHarness holds the store the clients use. Clients run operations under
// the read lock; a restart takes the write lock, so it happens between
// operations, never during one.
type linHarness struct {
	mu      sync.RWMutex
	current store.EventStore
}

func (h *linHarness) store() store.EventStore {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.current
}

// do runs op against the current store, between restarts.
func (h *linHarness) do(op func(s store.EventStore)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	op(h.current)
}

func (h *linHarness) restart(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.current.(Reopener)
	next, err := r.Reopen(ctx)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	h.current = next
	return nil
}

// runHistory runs linClients clients against one fresh execution and
// returns what each operation was called with and answered, for the
// checker, and the history's event table. ok is false when a client hit
// an error no model step can explain (it was reported).
func (h *linHarness) runHistory(t *testing.T, seed uint64, restarts bool) ([]porcupine.Operation, []modelEvent, bool) {
	table := newEventTable(rand.New(rand.NewPCG(seed, 0)), linClients)
	rec := &recorder{start: time.Now()}
	shared := &sentBatches{}
	var opCount atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for c := range linClients {
		cl := &linClient{
			id: c, rng: rand.New(rand.NewPCG(seed, uint64(c)+1)),
			table: table, sent: shared, rec: rec,
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			for range linOpsPerClient {
				if failed.Load() {
					return
				}
				var err error
				h.do(func(s store.EventStore) { err = cl.step(ctx, s) })
				if err == nil && restarts && opCount.Add(1)%linRestartEvery == 0 {
					err = h.restart(ctx)
				}
				if err != nil {
					t.Errorf("seed %d client %d: %v", seed, c, err)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return rec.ops, table.model, !failed.Load()
}

// recorder collects the operations of a history with timestamps from one
// monotonic clock.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

func (r *recorder) add(client int, input, output any, call, ret int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: input, Output: output, Call: call, Return: ret})
}

// explainIllegal describes where linearization got stuck: the longest
// linearizable prefix's last steps and the operations that could not
// follow it. The full history is written for porcupine's visualiser.
func explainIllegal(model porcupine.Model, ops []porcupine.Operation, info porcupine.LinearizationInfo) string {
	var b []byte
	longest := longestPartial(info)
	in := map[int]bool{}
	for _, i := range longest {
		in[i] = true
	}
	b = fmt.Appendf(b, "longest linearizable prefix: %d of %d operations; its last steps:\n", len(longest), len(ops))
	for _, i := range longest[max(0, len(longest)-8):] {
		b = fmt.Appendf(b, "  client %d: %s\n", ops[i].ClientId, describeOperation(ops[i].Input, ops[i].Output))
	}
	b = fmt.Appendf(b, "operations that could not be linearized after it, by call (µs from the start):\n")
	var rest []porcupine.Operation
	for i, op := range ops {
		if !in[i] {
			rest = append(rest, op)
		}
	}
	slices.SortFunc(rest, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	for _, op := range rest[:min(len(rest), 12)] {
		b = fmt.Appendf(b, "  client %d [%d, %d]: %s\n", op.ClientId, op.Call/1e3, op.Return/1e3, describeOperation(op.Input, op.Output))
	}
	if f, err := os.CreateTemp("", "storetest-linearizability-*.html"); err == nil {
		if porcupine.Visualize(model, info, f) == nil {
			b = fmt.Appendf(b, "visualisation: %s\n", f.Name())
		}
		_ = f.Close()
	}
	return string(b)
}

// longestPartial returns the operation indexes of the longest partial
// linearization porcupine found.
func longestPartial(info porcupine.LinearizationInfo) []int {
	var best []int
	for _, partition := range info.PartialLinearizations() {
		for _, lin := range partition {
			if len(lin) > len(best) {
				best = lin
			}
		}
	}
	return best
}

// coverage counts what the histories of one property did, so that a
// generator that stopped reaching a rule fails instead of passing
// vacuously.
type coverage struct {
	outcomes [refusedInvalid + 1]int
	reads    int
}

func (cv *coverage) count(ops []porcupine.Operation) {
	for _, op := range ops {
		switch out := op.Output.(type) {
		case appendOutput:
			cv.outcomes[out.outcome]++
		case eventsOutput, latestOutput, infoOutput, openListOutput:
			cv.reads++
		}
	}
}

func (cv *coverage) check(t *testing.T) {
	t.Logf("appends: %d stored or retried, %d ErrConflict, %d ErrFinal, %d ErrInvalid; %d reads",
		cv.outcomes[stored], cv.outcomes[refusedConflict], cv.outcomes[refusedFinal], cv.outcomes[refusedInvalid], cv.reads)
	for o, n := range cv.outcomes {
		if n == 0 {
			t.Errorf("no append of %d histories ended %s: the histories no longer reach that rule", linSeeds, outcome(o))
		}
	}
}
