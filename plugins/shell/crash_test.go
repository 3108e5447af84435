package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// binary is the plugin, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openoma-plugin-shell-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openoma-plugin-shell")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// TestCrashAndResumeAcrossProcesses runs the real plugin binary: fault
// metadata makes it kill itself after `started`; a second plugin process
// resumes the block, which completes, and the crash is not repeated.
func TestCrashAndResumeAcrossProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := memory.New()
	defer s.Close()
	faults := t.TempDir()
	start := func() (sdk.Adapter, *plugin.Client) {
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), fault.DirEnv+"="+faults)
		client := plugin.NewClient(sdk.ClientConfig(cmd, plugintest.TestLogger(t)))
		t.Cleanup(client.Kill)
		a, err := sdk.Dispense(client)
		if err != nil {
			t.Fatal(err)
		}
		return a, client
	}
	block := core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Crashy", ExecutionHints: []string{"shell"},
		Outputs: []core.PortDescriptor{{Name: "attempt", Required: true}},
		Metadata: core.Metadata{
			"shell":         map[string]any{"script": `printf '{"attempt": "%s"}' "$OPENOMA_ATTEMPT"`},
			"openoma.fault": map[string]any{"crash_after": "started", "times": 1},
		},
	}
	node := plugintest.Node(block)
	flow := uuid.New()
	id := uuid.New()
	created, err := execution.NewEvent(id, execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"},
		execution.Created{Kind: execution.KindBlock, FlowExecutionID: flow, NodeReferenceID: node.ID, WorkBlockID: block.ID, WorkBlockVersion: 1, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Append(ctx, []execution.Event{created}, store.ExpectSequence(0))
	if err != nil {
		t.Fatal(err)
	}

	first, client := start()
	if _, err := first.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, FlowExecutionID: flow, Block: block, Node: node,
		Inputs: map[string]any{}, Attempt: 1, Sequence: stored[0].Sequence, Store: s}); err != nil {
		t.Fatal(err)
	}
	for !client.Exited() {
		if ctx.Err() != nil {
			t.Fatal("the plugin did not crash")
		}
		time.Sleep(20 * time.Millisecond)
	}
	events, err := s.Events(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1].EventType; last != execution.EventStarted {
		t.Fatalf("after the crash the log ends %s, want started (%s)", last, plugintest.Describe(events))
	}
	released, _ := execution.NewEvent(id, execution.EventExecutorReleased, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"},
		map[string]string{"reason": "plugin process exited"})
	if _, err := s.Append(ctx, []execution.Event{released}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}

	second, _ := start()
	if err := second.ResumeBlock(ctx, sdk.ResumeRequest{ExecutionID: id, FlowExecutionID: flow, Block: block, Node: node, Store: s}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			all, _ := s.Events(context.Background(), id, 0)
			t.Fatalf("waiting for the resumed block: %v (%s)", errors.Unwrap(err), plugintest.Describe(all))
		}
		if ev.EventType.IsTerminal() {
			break
		}
	}
	events, _ = s.Events(ctx, id, 0)
	b, _ := execution.ProjectBlock(events)
	if b.State != execution.StateCompleted || b.Outputs()["attempt"] != "1" {
		t.Fatalf("resumed block: %s, outputs %v (%s; %s)", b.State, b.Outputs(), b.FailureReason(), plugintest.Describe(events))
	}
	if err := plugintest.CheckLifecycle(block, events); err != nil {
		t.Error(err)
	}
}
