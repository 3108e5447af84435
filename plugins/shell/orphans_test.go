package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/sdk/procguard"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// TestKilledPluginLeavesNoOrphans runs a block whose command starts a
// background job and a nested shell in the real plugin binary, kills the
// plugin with SIGKILL, and checks that 2 s later no process of the block
// is alive — its watchdog killed them all.
func TestKilledPluginLeavesNoOrphans(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := memory.New()
	defer s.Close()
	client := plugin.NewClient(sdk.ClientConfig(exec.Command(binary), plugintest.TestLogger(t)))
	t.Cleanup(client.Kill)
	a, err := sdk.Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	block := core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Leaves jobs", ExecutionHints: []string{"shell"},
		Metadata: core.Metadata{"shell": map[string]any{"script": "sleep 60 &\nsh -c 'sleep 61'\n"}},
	}
	node := plugintest.Node(block)
	id := uuid.New()
	marker := shell.Marker(id)
	t.Cleanup(func() { procguard.Sweep(nil, []string{marker}) })
	created, err := execution.NewEvent(id, execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"},
		execution.Created{Kind: execution.KindBlock, FlowExecutionID: uuid.New(), NodeReferenceID: node.ID, WorkBlockID: block.ID, WorkBlockVersion: 1, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Append(ctx, []execution.Event{created}, store.ExpectSequence(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, Block: block, Node: node,
		Inputs: map[string]any{}, Attempt: 1, Sequence: stored[0].Sequence, Store: s}); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "sleep 60 and sleep 61 to run", func() bool {
		cmds := commandsWith(marker)
		return strings.Contains(cmds, "sleep 60") && strings.Contains(cmds, "sleep 61")
	})
	before := commandsWith(marker)
	pid := client.ReattachConfig().Pid
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	poll(t, 2*time.Second, "the block's processes ("+before+") to die", func() bool { return commandsWith(marker) == "" })
	t.Logf("all of %s gone %s after the kill", before, time.Since(killed).Round(time.Millisecond))
}

// commandsWith lists the command lines of the live processes whose
// environment holds marker, separated by "; ".
func commandsWith(marker string) string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		dir := "/proc/" + e.Name() + "/"
		stat, err := os.ReadFile(dir + "stat")
		if i := strings.LastIndexByte(string(stat), ')'); err != nil || i < 0 || strings.HasPrefix(string(stat[i+1:]), " Z") {
			continue
		}
		env, err := os.ReadFile(dir + "environ")
		if err != nil || !strings.Contains("\x00"+string(env), "\x00"+marker+"\x00") {
			continue
		}
		cmdline, _ := os.ReadFile(dir + "cmdline")
		found = append(found, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return strings.Join(found, "; ")
}

// poll checks cond until it holds or d passes.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
