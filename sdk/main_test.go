package sdk_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
)

// modeEnv makes the test binary play a part in a multi-process test instead
// of running tests: a plugin, a host, or something that is not a plugin.
const modeEnv = "OPENOMA_SDK_TEST_MODE"

func TestMain(m *testing.M) {
	mode := os.Getenv(modeEnv)
	// Not inherited: go-plugin passes the host's environment on to the
	// plugin after the command's own, so a host's mode would win.
	_ = os.Unsetenv(modeEnv)
	switch mode {
	case "":
		os.Exit(m.Run())
	case "plugin":
		sdk.Serve(testadapter.NewEcho(), sdk.WithParentCheckInterval(50*time.Millisecond))
	case "plugin-v2":
		h := sdk.Handshake
		h.ProtocolVersion = sdk.ProtocolVersion + 1
		sdk.Serve(testadapter.NewEcho(), sdk.WithHandshakeForTest(h))
	case "not-a-plugin":
		fmt.Println("hello, I am an ordinary program")
	case "die-in-handshake":
		fmt.Fprintln(os.Stderr, "fatal: could not read my configuration")
		os.Exit(3)
	case "host":
		runHost()
	default:
		fmt.Fprintf(os.Stderr, "unknown %s %q\n", modeEnv, mode)
		os.Exit(2)
	}
}

// runHost launches a plugin, calls it once, prints the plugin's pid and
// waits to be killed: the orphan test kills it and watches the plugin.
func runHost() {
	client := plugin.NewClient(sdk.ClientConfig(pluginCmd("plugin"), hclog.NewNullLogger()))
	a, err := sdk.Dispense(client)
	if err == nil {
		_, err = a.Describe(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		os.Exit(1)
	}
	fmt.Printf("PLUGIN_PID=%d\n", client.ReattachConfig().Pid)
	select {}
}

// pluginCmd runs this test binary in the given mode.
func pluginCmd(mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), modeEnv+"="+mode), env...)
	return cmd
}

// launch starts the test binary as a plugin in the given mode, the way a
// host does, and returns the client and the dispensed adapter.
func launch(t testing.TB, mode string, autoMTLS bool, logger hclog.Logger, env ...string) (*plugin.Client, sdk.Adapter, error) {
	t.Helper()
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cfg := sdk.ClientConfig(pluginCmd(mode, env...), logger)
	cfg.AutoMTLS = autoMTLS
	cfg.StartTimeout = 20 * time.Second
	client := plugin.NewClient(cfg)
	t.Cleanup(client.Kill)
	a, err := sdk.Dispense(client)
	return client, a, err
}

// readLine reads one line from a process's output, or fails after limit.
func readLine(t *testing.T, r *bufio.Reader, limit time.Duration) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, _ := r.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		return line
	case <-time.After(limit):
		t.Fatalf("no output within %s", limit)
		return ""
	}
}
