package plugins

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// A plugin that exits before the handshake is reported with what it wrote
// on stderr, in the start error and in Status, not only go-plugin's
// "exited during the handshake".
func TestStartErrorCarriesPluginStderr(t *testing.T) {
	const cause = "bad fixtures: open examples/missing.yaml: no such file or directory"
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"},
		Env: []string{"TESTPLUGIN_FAIL_AT_START=" + cause}}}, Options{StartTimeout: 5 * time.Second})
	err := m.Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded with a plugin that exits at once")
	}
	for _, want := range []string{cause, "some earlier line", "exit status 2", `plugin "test"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Unrecognized remote plugin message") {
		t.Errorf("start error still carries go-plugin's handshake noise:\n%v", err)
	}
	st := m.Status()
	if len(st) != 1 || !strings.Contains(st[0].LastError, cause) {
		t.Errorf("Status LastError does not carry the cause: %+v", st)
	}
}

func TestStderrTailKeepsLastLines(t *testing.T) {
	tail := newStderrTail(nopCloser{strings.NewReader("")})
	for i := range tailLines + 3 {
		tail.add([]byte(strings.Repeat("x", i) + "\n"))
	}
	tail.add([]byte(`{"@level":"error","@message":"load config","error":"no such file"}` + "\npartial"))
	got := tail.last(0)
	if len(got) != tailLines+1 {
		t.Fatalf("kept %d lines, want %d: %q", len(got), tailLines+1, got)
	}
	if got[len(got)-2] != "load config: no such file" || got[len(got)-1] != "partial" {
		t.Errorf("last lines = %q", got[len(got)-2:])
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// Close asks the plugin to stop before it takes the connection down, so
// the plugin's Shutdown records executor_released for a running block
// through the host's store (go-plugin's Kill alone closes the broker
// first, and the release failed with "connection refused").
func TestCloseLetsThePluginReleaseRunningBlocks(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: []string{"TESTPLUGIN_HOLD=1"}}}, Options{})
	a, _ := m.Adapter("test")
	st := memory.New()
	defer st.Close()
	block := core.WorkBlock{ID: uuid.New(), Version: 1, Name: "hold"}
	execID := uuid.New()
	created, _ := execution.NewEvent(execID, execution.EventCreated, nil, execution.Created{
		Kind: execution.KindBlock, WorkBlockID: block.ID, WorkBlockVersion: 1, Attempt: 1})
	if _, err := st.Append(context.Background(), []execution.Event{created}, storeOpts()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: execID, Block: block, Attempt: 1, Store: st}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, st, execID, execution.EventStarted)
	pid := pidOf(t, m, "test")
	m.Close()
	waitGone(t, pid)
	ev, err := st.LatestEvent(context.Background(), execID)
	if err != nil || ev.EventType != execution.EventExecutorReleased {
		t.Fatalf("after Close the block's last event is %v (%v), want executor_released", ev.EventType, err)
	}
	if s := m.Status()[0]; s.Restarts != 0 {
		t.Errorf("the plugin stopping on Close was taken for a crash: %+v", s)
	}
}

func waitEvent(t *testing.T, st store.EventStore, id uuid.UUID, want execution.EventType) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, err := st.LatestEvent(context.Background(), id)
		if err == nil && ev.EventType == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s; last event %+v, %v", want, ev, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
