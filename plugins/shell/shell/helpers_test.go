package shell_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk/plugintest"
)

func shellBlock(settings any, inputs, outputs []core.PortDescriptor) core.WorkBlock {
	return core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Shell Test", Inputs: inputs, Outputs: outputs,
		ExecutionHints: []string{"shell"}, Metadata: core.Metadata{"shell": settings},
	}
}

func port(name string, required bool, schema map[string]any) core.PortDescriptor {
	return core.PortDescriptor{Name: name, Required: required, Schema: schema}
}

// newHarness serves a shell adapter in-process; faults go to a fresh
// directory and crash by returning (see fault.ErrCrashed).
func newHarness(t *testing.T, opts shell.Options) (*plugintest.Harness, shell.Options) {
	t.Helper()
	if opts.Faults == nil {
		opts.Faults = fault.NewInjector(t.TempDir(), func() {})
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = 20 * time.Millisecond
	}
	return plugintest.New(t, shell.New(opts), plugintest.Options{}), opts
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// failureOf decodes the payload of the execution's terminal event.
func failureOf(t *testing.T, b execution.BlockExecution) execution.Failure {
	t.Helper()
	for i := range b.Events {
		if b.Events[i].EventType.IsTerminal() {
			var f execution.Failure
			if err := b.Events[i].DecodePayload(&f); err != nil {
				t.Fatalf("decode %s payload: %v", b.Events[i].EventType, err)
			}
			return f
		}
	}
	t.Fatalf("no terminal event in %s", plugintest.Describe(b.Events))
	return execution.Failure{}
}

// progressOf returns the progress payloads of type typ.
func progressOf(t *testing.T, b execution.BlockExecution, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i := range b.Events {
		if b.Events[i].EventType != execution.EventProgress {
			continue
		}
		var p map[string]any
		if err := b.Events[i].DecodePayload(&p); err != nil {
			t.Fatal(err)
		}
		if p["type"] == typ {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !strings.HasPrefix(strings.TrimSpace(string(stat[i+1:])), "Z")
}

// waitGone fails the test unless pid dies within a few seconds.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) is still running", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readPID waits for a pid file written by a test script.
func readPID(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && perr == nil && pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pidFile(t *testing.T) string { return filepath.Join(t.TempDir(), "pid") }

func newHarnessFor(t *testing.T, a *shell.Adapter) *plugintest.Harness {
	return plugintest.New(t, a, plugintest.Options{})
}

func shellOptions() shell.Options { return shell.Options{} }
