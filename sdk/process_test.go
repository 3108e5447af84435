package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store/memory"
)

func TestRealPluginRunsABlock(t *testing.T) {
	for _, mtls := range []bool{false, true} {
		t.Run(fmt.Sprintf("AutoMTLS=%v", mtls), func(t *testing.T) {
			_, a, err := launch(t, "plugin", mtls, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			info, err := a.Describe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != "echo" || info.ProtocolVersion != sdk.ProtocolVersion {
				t.Errorf("Describe = %+v", info)
			}
			s := memory.New()
			defer s.Close()
			b := runOverAdapter(t, a, s, map[string]any{"message": "over the wire"})
			if b.State != execution.StateCompleted || b.Outputs()["message"] != "over the wire" {
				t.Errorf("state %s outputs %v, want completed with the message (%s)", b.State, b.Outputs(), plugintest.Describe(b.Events))
			}
		})
	}
}

func TestPluginLogsReachTheHost(t *testing.T) {
	var buf syncBuffer
	logger := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Debug})
	_, a, err := launch(t, "plugin", true, logger, sdk.LogLevelEnv+"=debug")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Describe(context.Background()); err != nil {
		t.Fatal(err)
	}
	// go-plugin's server logs its address through the plugin's logger at
	// debug level, before the handshake completes.
	if !strings.Contains(buf.String(), "plugin address") {
		t.Errorf("the host's log lacks the plugin's lines; it has:\n%s", buf.String())
	}
}

func TestHandshakeFailures(t *testing.T) {
	cases := []struct {
		mode string
		want string // in the error the host gets
	}{
		{"plugin-v2", "incompatible API version"},
		{"not-a-plugin", "hello, I am an ordinary program"},
		{"die-in-handshake", "Failed to read any lines from plugin's stdout"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			client, _, err := launch(t, c.mode, true, nil)
			if err == nil {
				t.Fatalf("launching a %s succeeded; want an error", c.mode)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "start plugin") {
				t.Errorf("error %q does not say what failed", err)
			}
			client.Kill()
			if !client.Exited() {
				t.Errorf("the plugin process is still running after Kill")
			}
		})
	}
}

func TestPluginRunByHandSaysSo(t *testing.T) {
	cmd := pluginCmd("plugin")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run without a host: %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "This binary is a plugin") {
		t.Errorf("stderr %q does not explain that this is a plugin", stderr.String())
	}
}

// TestPluginExitsWhenHostDies kills a host process with SIGKILL (no chance
// to clean up) and checks that its plugin process exits by itself.
func TestPluginExitsWhenHostDies(t *testing.T) {
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), modeEnv+"=host")
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	host.Stderr = os.Stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	line := readLine(t, bufio.NewReader(out), 30*time.Second)
	var pid int
	if _, err := fmt.Sscanf(line, "PLUGIN_PID=%d", &pid); err != nil || pid <= 0 {
		_ = host.Process.Kill()
		t.Fatalf("host printed %q, want PLUGIN_PID=<pid>", line)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if !alive(pid) {
		t.Fatalf("plugin %d is not running while its host is", pid)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d still runs 15s after its host was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running process (a zombie waiting for
// its new parent to reap it has exited).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// runOverAdapter creates a block execution in s as the host does, runs it
// through a and waits for its end.
func runOverAdapter(t *testing.T, a sdk.Adapter, s *memory.Store, inputs map[string]any) execution.BlockExecution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	block := echoBlock()
	req := newExecution(t, s, block, inputs)
	if _, err := a.ExecuteBlock(ctx, req); err != nil {
		t.Fatal(err)
	}
	return waitEnd(t, ctx, s, req.ExecutionID)
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
