package plugins

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

var echoBlock = core.WorkBlock{ID: uuid.MustParse("9d6c1c2e-5a43-4d6b-9b8e-0b3c1f1d2a10"), Version: 1, Name: "echo",
	Inputs:  []core.PortDescriptor{{Name: "x", Required: true}},
	Outputs: []core.PortDescriptor{{Name: "x", Required: true}}}

// newBlock records the created event of a block execution of echoBlock.
func newBlock(t *testing.T, st store.EventStore, inputs map[string]any) uuid.UUID {
	t.Helper()
	id := uuid.New()
	created, err := execution.NewEvent(id, execution.EventCreated, nil, execution.Created{
		Kind: execution.KindBlock, WorkBlockID: echoBlock.ID, WorkBlockVersion: 1, Inputs: inputs, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(context.Background(), []execution.Event{created}, storeOpts()); err != nil {
		t.Fatal(err)
	}
	return id
}

func waitEnded(t *testing.T, st store.EventStore, id uuid.UUID) []execution.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, err := st.Events(context.Background(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) > 0 && events[len(events)-1].EventType.IsTerminal() {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("block %s did not end: %d events", id, len(events))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func instanceOf(t *testing.T, m *Manager, name string) string {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name && s.Running {
			return s.Instance
		}
	}
	t.Fatalf("plugin %q is not running", name)
	return ""
}

// TestEventsNameTheLaunch: every event a plugin process records carries the
// id of its launch, stamped by the host, and a restarted plugin is a new
// launch; the dead one is no longer live.
func TestEventsNameTheLaunch(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}}}, Options{})
	a, _ := m.Adapter("test")
	st := memory.New()
	defer st.Close()

	run := func() []execution.Event {
		id := newBlock(t, st, map[string]any{"x": "hi"})
		if _, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: id, Block: echoBlock,
			Inputs: map[string]any{"x": "hi"}, Attempt: 1, Sequence: 1, Store: st}); err != nil {
			t.Fatal(err)
		}
		return waitEnded(t, st, id)
	}
	checkStamped := func(events []execution.Event, want string) {
		t.Helper()
		for _, ev := range events[1:] { // the created event is the host's
			if got := ev.Executor.PluginInstance(); got != want {
				t.Errorf("%s recorded by instance %q, want %q", ev.EventType, got, want)
			}
		}
	}
	if _, err := a.Describe(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := instanceOf(t, m, "test")
	checkStamped(run(), first)
	if !m.IsLive("test", first) {
		t.Fatal("the running process is not live")
	}

	pid := pidOf(t, m, "test")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	second := ""
	deadline := time.Now().Add(10 * time.Second)
	for second == "" || second == first {
		if _, err := a.Describe(context.Background()); err == nil {
			second = instanceOf(t, m, "test")
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not come back as a new launch")
		}
	}
	if m.IsLive("test", first) {
		t.Error("the killed launch is still reported live")
	}
	if !m.IsLive("test", second) || m.IsLive("other", second) || m.IsLive("test", "") {
		t.Error("IsLive answers wrongly for the new launch")
	}
	checkStamped(run(), second)
}

// TestHandRecord: a block is recorded as handed to the launch that got it
// until a plugin records its end; a call the live process refused takes it
// out; a call lost to the process's death leaves it in, naming the dead
// launch.
func TestHandRecord(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		timeout  time.Duration
		wantErr  error
		wantKept bool
	}{
		{name: "completed", wantKept: false},
		{name: "process died in the call", env: []string{"TESTPLUGIN_EXIT_IN_EXECUTE=1"}, wantErr: sdk.ErrUnavailable, wantKept: true},
		{name: "live process did not answer", env: []string{"TESTPLUGIN_HANG_IN_EXECUTE=1"}, timeout: 200 * time.Millisecond,
			wantErr: context.DeadlineExceeded, wantKept: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: tt.env}}, Options{})
			a, _ := m.Adapter("test")
			if _, err := a.Describe(context.Background()); err != nil {
				t.Fatal(err)
			}
			launch := instanceOf(t, m, "test")
			st := memory.New()
			defer st.Close()
			id := newBlock(t, st, map[string]any{"x": 1})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := a.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, Block: echoBlock,
				Inputs: map[string]any{"x": 1}, Attempt: 1, Sequence: 1, Store: st})
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("ExecuteBlock: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				waitEnded(t, st, id)
			}
			got, kept := m.HandedTo("test", id)
			if kept != tt.wantKept || kept && got != launch {
				t.Fatalf("HandedTo = %q, %v; want kept=%v naming %q", got, kept, tt.wantKept, launch)
			}
			if n := m.procs["test"].hands.size(); n != map[bool]int{true: 1, false: 0}[tt.wantKept] {
				t.Errorf("hand record holds %d blocks", n)
			}
		})
	}
}

// TestRestartsAreSerialised: a plugin that crashes again while the host is
// still resuming its previous crash gets its next OnRestart only after the
// first returned, and the calls come in the order of the crashes, each
// naming the launch the previous one started.
func TestRestartsAreSerialised(t *testing.T) {
	var (
		mu      sync.Mutex
		calls   []Restart
		running int
		overlap bool
	)
	unblock := make(chan struct{})
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: []string{"TESTPLUGIN_EXIT_AFTER=400ms"}}}, Options{
		RestartBackoff: 5 * time.Millisecond, RestartBackoffMax: 20 * time.Millisecond, StableUptime: time.Hour,
		OnRestart: func(ctx context.Context, r Restart) error {
			mu.Lock()
			running++
			overlap = overlap || running > 1
			calls = append(calls, r)
			first := len(calls) == 1
			mu.Unlock()
			if first {
				<-unblock // the first resume is slow; more crashes happen meanwhile
			}
			mu.Lock()
			running--
			mu.Unlock()
			return nil
		},
	})
	a, _ := m.Adapter("test")
	_, _ = a.Describe(context.Background())
	waitFor(t, "three restarts while the first resume runs", func() bool { return restartsOf(m) >= 3 })
	mu.Lock()
	n := len(calls)
	mu.Unlock()
	if n != 1 {
		t.Fatalf("%d OnRestart calls started while the first had not returned; want 1", n)
	}
	close(unblock)
	waitFor(t, "the queued restarts to be handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) >= 3
	})
	m.Close()
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("two OnRestart calls for one plugin overlapped")
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Dead.ID != calls[i-1].Live.ID {
			t.Errorf("restart %d: dead %s, want the launch restart %d started (%s)", i, calls[i].Dead.ID, i-1, calls[i-1].Live.ID)
		}
	}
	for i, r := range calls {
		if r.Dead.ID == "" || r.Dead.ID == r.Live.ID || r.Dead.PID == 0 {
			t.Errorf("restart %d names no distinct dead launch: %+v", i, r)
		}
	}
}

// TestLargeValuesCrossTheBoundary: an input far above gRPC's 4 MiB default
// reaches the plugin and comes back as its output through the brokered
// store.
func TestLargeValuesCrossTheBoundary(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}}}, Options{})
	a, _ := m.Adapter("test")
	st := memory.New()
	defer st.Close()
	big := strings.Repeat("x", 6<<20) // gRPC refuses over 4 MiB by default
	id := newBlock(t, st, map[string]any{"x": big})
	if _, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: id, Block: echoBlock,
		Inputs: map[string]any{"x": big}, Attempt: 1, Sequence: 1, Store: st}); err != nil {
		t.Fatal(err)
	}
	events := waitEnded(t, st, id)
	b, err := execution.ProjectBlock(events)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted || b.Outputs()["x"] != big {
		t.Fatalf("block %s, output of %d bytes; want completed with the 6 MiB input echoed", b.State, len(b.Outputs()["x"].(string)))
	}
}

func restartsOf(m *Manager) int {
	return m.Status()[0].Restarts
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRestartSeesWhatTheDeadProcessWasGiven: a block whose hand-over was
// lost with the process is in the record when OnRestart runs (the call on
// the dead process has returned by then), naming the dead launch; once
// OnRestart succeeded the dead launch's entries are dropped, and kept when
// it failed (the next attempt still needs them).
func TestRestartSeesWhatTheDeadProcessWasGiven(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(map[bool]string{false: "handled", true: "failed"}[fail], func(t *testing.T) {
			st := memory.New()
			defer st.Close()
			id := newBlock(t, st, map[string]any{"x": 1})
			seen := make(chan string, 1)
			var m *Manager
			m = newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: []string{"TESTPLUGIN_EXIT_IN_EXECUTE=1"}}}, Options{
				OnRestart: func(_ context.Context, r Restart) error {
					got, _ := m.HandedTo("test", id)
					if got != r.Dead.ID {
						got = "handed to " + got + ", not to the dead launch " + r.Dead.ID
					} else {
						got = ""
					}
					seen <- got
					if fail {
						return errors.New("store unavailable")
					}
					return nil
				},
			})
			a, _ := m.Adapter("test")
			_, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: id, Block: echoBlock,
				Inputs: map[string]any{"x": 1}, Attempt: 1, Sequence: 1, Store: st})
			if !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("ExecuteBlock: %v, want ErrUnavailable", err)
			}
			select {
			case problem := <-seen:
				if problem != "" {
					t.Fatal(problem)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("OnRestart was not called")
			}
			waitFor(t, "OnRestart to return", func() bool {
				m.procs["test"].mu.Lock()
				done := m.procs["test"].lastRestart
				m.procs["test"].mu.Unlock()
				select {
				case <-done:
					return true
				default:
					return false
				}
			})
			if _, kept := m.HandedTo("test", id); kept != fail {
				t.Fatalf("after OnRestart (failed: %v) the entry is kept: %v", fail, kept)
			}
		})
	}
}
