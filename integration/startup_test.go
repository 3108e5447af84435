package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeThenVerbAtOnce is what every script does: `openoma-host serve &`
// and, without waiting, another verb. Whichever of the two reaches the
// data directory first, the daemon comes up and the verb answers correctly
// (issue 9 #7: the verb used to open the data directory itself and make
// serve exit with "data directory is in use").
func TestServeThenVerbAtOnce(t *testing.T) {
	e := newEnv(t, shellPlugins, chainFlow(1, "0"), "shell")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// One execution in the store, so status has something to show.
	var first report
	if code := e.cliJSON(ctx, &first, "run", "Chain", "--wait"); code != 0 || first.State != "completed" {
		t.Fatalf("setup run: exit %d, state %s", code, first.State)
	}
	sock := filepath.Join(e.dir, "data", "control.sock")
	const rounds = 20
	serveWaited := 0
	defer func() { t.Logf("serve waited for a verb's embedded host in %d of %d rounds", serveWaited, rounds) }()
	for round := range rounds {
		cmd := exec.Command(filepath.Join(e.bin, "openoma-host"), "--config", e.config, "serve")
		logs := &lockedWriter{w: &bytes.Buffer{}}
		cmd.Stdout, cmd.Stderr = logs, logs
		must(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()

		plugins, pcode := e.cli(ctx, "plugins", "--json")
		status, scode := e.cli(ctx, "status")

		up := waitServing(sock, exited, 30*time.Second)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		stopErr := <-exited
		if up != nil {
			t.Fatalf("round %d: the daemon is not up: %v\nserve:\n%s", round, up, logs.w.String())
		}
		if stopErr != nil {
			t.Fatalf("round %d: serve exited with %v after SIGTERM\n%s", round, stopErr, logs.w.String())
		}
		if strings.Contains(logs.w.String(), "waiting for another openoma-host") {
			serveWaited++
		}
		var list []struct {
			Name  string   `json:"name"`
			Hints []string `json:"hints"`
		}
		if pcode != 0 || json.Unmarshal([]byte(plugins), &list) != nil || len(list) != 1 || list[0].Name != "shell" {
			t.Fatalf("round %d: plugins: exit %d, output %q; want the shell plugin\nserve:\n%s", round, pcode, plugins, logs.w.String())
		}
		if scode != 0 || !strings.Contains(status, first.ExecutionID) || !strings.Contains(status, "completed") {
			t.Fatalf("round %d: status: exit %d, output %q; want execution %s completed\nserve:\n%s", round, scode, status, first.ExecutionID, logs.w.String())
		}
	}
}

// waitServing waits until the control socket at sock answers, failing
// early when serve exits.
func waitServing(sock string, exited chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			exited <- err // for the caller's wait
			if err == nil {
				err = errors.New("exit status 0")
			}
			return errors.New("serve exited: " + err.Error())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for the control socket")
		}
	}
}

// TestSecondServeIsRefusedAtOnce: a second daemon on the same socket does
// not wait for the first (which will not let go): it fails at once,
// naming it.
func TestSecondServeIsRefusedAtOnce(t *testing.T) {
	e := newEnv(t, "", map[string]string{})
	must(t, os.MkdirAll(filepath.Join(e.dir, "defs"), 0o755))
	d := e.serve()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), "--config", e.config, "serve")
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "another openoma-host daemon serves") {
		t.Fatalf("second serve: %v (timed out: %v)\n%s", err, ctx.Err() != nil, out)
	}
	d.stop(t)
}
