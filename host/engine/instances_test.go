package engine

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// fakeInstances is the plugin manager's view for these tests: one live
// process and the process each block was last handed to.
type fakeInstances struct {
	mu    sync.Mutex
	live  string
	hands map[uuid.UUID]string
}

func (f *fakeInstances) IsLive(plugin, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return plugin == "fake" && id != "" && id == f.live
}

func (f *fakeInstances) HandedTo(plugin string, block uuid.UUID) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.hands[block]
	return id, ok && plugin == "fake"
}

// stampingStore stamps what a fake plugin process records with its
// launch id, as the host's plugin manager does on the brokered store: the
// fake process "fake/N" is the launch "fake/N".
type stampingStore struct{ store.EventStore }

func (s stampingStore) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	out := make([]execution.Event, len(events))
	for i, ev := range events {
		if ev.Executor != nil && strings.HasPrefix(ev.Executor.Identifier, "fake/") {
			x := ev.Executor.WithPluginInstance(ev.Executor.Identifier)
			ev.Executor = &x
		}
		out[i] = ev
	}
	return s.EventStore.Append(ctx, out, opts)
}

func TestDecideOnRestart(t *testing.T) {
	blockID := uuid.New()
	assigned := func(instance string) execution.Event {
		x := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "fake"}
		if instance != "" {
			x = x.WithPluginInstance(instance)
		}
		return execution.Event{EventType: execution.EventExecutorAssigned, Executor: &x}
	}
	released := execution.Event{EventType: execution.EventExecutorReleased}
	created := execution.Event{EventType: execution.EventCreated}
	person := execution.Event{EventType: execution.EventExecutorAssigned,
		Executor: &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "alice"}}
	tests := []struct {
		name   string
		log    []execution.Event
		handed string // "" = not in the hand record
		want   onRestart
	}{
		{"assigned by the dead process", []execution.Event{created, assigned("dead")}, "dead", releaseAndResume},
		{"assigned by an older dead process, handed to the dead one", []execution.Event{created, assigned("older")}, "dead", releaseAndResume},
		{"assigned by a dead process of a previous host, not handed yet", []execution.Event{created, assigned("older")}, "", releaseAndResume},
		{"assigned by the live process", []execution.Event{created, assigned("live")}, "live", leaveAlone},
		{"assigned by the live process, record lost", []execution.Event{created, assigned("live")}, "", leaveAlone},
		{"handed to the live process, log still names the dead one", []execution.Event{created, assigned("dead")}, "live", leaveAlone},
		{"handed to the dead process, never assigned", []execution.Event{created}, "dead", resumeOnly},
		{"handed to the live process, not assigned yet", []execution.Event{created}, "live", leaveAlone},
		{"never handed (waiting for a slot)", []execution.Event{created}, "", leaveAlone},
		{"released, handed to the dead process", []execution.Event{created, assigned("older"), released}, "dead", resumeOnly},
		{"released, handed to the live process", []execution.Event{created, assigned("dead"), released}, "live", leaveAlone},
		{"a person holds it, the dead process had it", []execution.Event{created, person}, "dead", resumeOnly},
		{"a person holds it, the live process has it", []execution.Event{created, person}, "live", leaveAlone},
		{"a person holds it, never handed", []execution.Event{created, person}, "", leaveAlone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := &fakeInstances{live: "live", hands: map[uuid.UUID]string{}}
			if tt.handed != "" {
				inst.hands[blockID] = tt.handed
			}
			b := execution.BlockExecution{Events: tt.log}
			if got := decideOnRestart("fake", blockID, &b, inst); got != tt.want {
				t.Errorf("decision = %s, want %s", got, tt.want)
			}
			if got := decideOnRestart("other", blockID, &b, inst); got == leaveAlone && tt.want != leaveAlone && tt.handed == "live" {
				t.Errorf("another plugin's view changed the decision")
			}
		})
	}
}

// TestOverlappingRestartsTouchOnlyTheDeadProcessBlocks: four blocks open
// when plugin process 1 dies and process 2 already runs. Two restarts are
// handled at the same time (as two crashes in quick succession would be).
// Only the block process 1 had assigned is released, once; it and the
// block process 1 was given but never assigned are resumed on process 2;
// the two blocks process 2 holds are not touched; every block completes
// once.
func TestOverlappingRestartsTouchOnlyTheDeadProcessBlocks(t *testing.T) {
	cat := core.NewCatalog()
	f := newFlow(t, cat, "Four")
	names := []string{"X1", "Y1", "Z1", "W1"}
	nodes := map[string]uuid.UUID{}
	blocks := map[string]core.WorkBlock{}
	for _, n := range names {
		blocks[n] = block(n, nil, []string{"done"})
		nodes[n] = f.node(strings.ToLower(n), blocks[n])
		f.edge(uuid.Nil, nodes[n], nil)
	}
	f.add()

	hold := make(chan struct{}) // process 2 finishes Y1 and W1 when closed
	startAndHang := func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	nothing := func(context.Context, *blockRun) error { return nil } // accepted, never recorded
	finish := func(ctx context.Context, r *blockRun) error {
		if err := r.start(ctx); err != nil {
			return err
		}
		return r.complete(ctx, map[string]any{"done": r.p.generation})
	}
	first := newFakePlugin("fake", "1")
	first.behaviours = map[string]behaviour{"X1": startAndHang, "Y1": nothing, "Z1": nothing, "W1": nothing}
	second := newFakePlugin("fake", "2")
	second.behaviours = map[string]behaviour{
		"X1": finish, "Z1": finish,
		"Y1": func(ctx context.Context, r *blockRun) error { // holds Y1 while the restarts run
			if err := r.start(ctx); err != nil {
				return err
			}
			<-hold
			return r.complete(ctx, map[string]any{"done": "2"})
		},
		"W1": func(ctx context.Context, r *blockRun) error { // was given W1, assigns it later
			<-hold
			return finish(ctx, r)
		},
	}
	st := stampingStore{memory.New()}
	h := newHarness(t, cat, st, first)
	ctx := context.Background()
	flowID, err := h.engine.StartFlow(ctx, "Four", nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uuid.UUID{}
	for _, n := range names {
		ids[n] = blockExecutionID(flowID, nodes[n], 1)
	}
	eventually(t, "process 1 started X1 and was given the rest", func() bool {
		events, _ := st.Events(ctx, ids["X1"], 0)
		return len(events) == 3 && len(first.callsOf("execute")) == 4
	})

	// Process 1 dies; process 2 is given Y1 and W1 (say, by a recovery)
	// before the restarts are handled, and assigns Y1.
	h.restartPlugin(second)
	inst := &fakeInstances{live: "fake/2", hands: map[uuid.UUID]string{
		ids["X1"]: "fake/1", ids["Z1"]: "fake/1", ids["Y1"]: "fake/2", ids["W1"]: "fake/2"}}
	for _, n := range []string{"Y1", "W1"} {
		if err := h.slot.ResumeBlock(ctx, sdk.ResumeRequest{ExecutionID: ids[n], FlowExecutionID: flowID, Block: blocks[n], Store: st}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "process 2 assigned Y1", func() bool {
		events, _ := st.Events(ctx, ids["Y1"], 0)
		b, _ := execution.ProjectBlock(events)
		return b.Executor().PluginInstance() == "fake/2"
	})

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, dead := range []string{"fake/1", "fake/0"} {
		wg.Go(func() {
			errs <- h.engine.PluginRestarted(ctx, PluginRestart{Plugin: "fake", DeadInstance: dead, Instances: inst})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := countCalls(second, ids["Y1"]) + countCalls(second, ids["W1"]); got != 2 {
		t.Errorf("process 2 was handed Y1/W1 %d times, want 2 (only the test's own hand-over)", got)
	}
	if countCalls(second, ids["X1"]) == 0 || countCalls(second, ids["Z1"]) == 0 {
		t.Errorf("X1 or Z1 was not handed to process 2: %v", second.calls)
	}
	close(hold)
	if s := h.wait(flowID); s != execution.StateCompleted {
		t.Fatalf("flow %s", s)
	}
	// A later notice of the same crash finds nothing to do.
	if err := h.engine.PluginRestarted(ctx, PluginRestart{Plugin: "fake", DeadInstance: "fake/1", Instances: inst}); err != nil {
		t.Fatal(err)
	}

	want := map[string]int{"X1": 1, "Y1": 0, "Z1": 0, "W1": 0}
	for _, n := range names {
		events, _ := st.Events(ctx, ids[n], 0)
		releases, completions := 0, 0
		for _, ev := range events {
			switch ev.EventType {
			case execution.EventExecutorReleased:
				releases++
				if got := ev.Executor.PluginInstance(); got != "fake/1" {
					t.Errorf("%s: release names instance %q, want fake/1", n, got)
				}
			case execution.EventCompleted:
				completions++
			}
		}
		if releases != want[n] {
			t.Errorf("%s: %d releases, want %d", n, releases, want[n])
		}
		if completions != 1 {
			t.Errorf("%s: completed %d times, want once", n, completions)
		}
	}
}

func countCalls(p *fakePlugin, id uuid.UUID) int {
	n := 0
	for _, c := range append(p.callsOf("resume"), p.callsOf("execute")...) {
		if c.id == id {
			n++
		}
	}
	return n
}
