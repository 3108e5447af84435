package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// builds holds the binaries built so far, all in one directory (so the
// host finds its plugins beside it, as in a release); each is built once
// per test binary.
var builds = struct {
	sync.Mutex
	dir  string
	done map[string]error
}{done: map[string]error{}}

// build compiles the named binaries (openoma-host, openoma-plugin-<name>;
// openoma-plugin-test is host/plugins/internal/testplugin) and returns
// their directory.
func build(names ...string) (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "openoma-bin")
		if err != nil {
			return "", err
		}
		builds.dir = dir
	}
	for _, name := range names {
		err, ok := builds.done[name]
		if !ok {
			pkg := "./cmd/openoma-host"
			if p, found := strings.CutPrefix(name, "openoma-plugin-"); found {
				pkg = "./plugins/" + p
				if p == "test" {
					pkg = "./host/plugins/internal/testplugin"
				}
			}
			cmd := exec.Command("go", "build", "-o", filepath.Join(builds.dir, name), pkg)
			cmd.Dir = repoRoot()
			if out, berr := cmd.CombinedOutput(); berr != nil {
				err = fmt.Errorf("go build %s: %v\n%s", pkg, berr, out)
			}
			builds.done[name] = err
		}
		if err != nil {
			return "", err
		}
	}
	return builds.dir, nil
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func binDir(t *testing.T, plugins ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: builds and kills real processes (skipped with -short)")
	}
	names := []string{"openoma-host"}
	for _, p := range plugins {
		names = append(names, "openoma-plugin-"+p)
	}
	dir, err := build(names...)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// env is one openoma installation under test: a config, a data dir and
// definitions in a temporary directory.
type env struct {
	t      *testing.T
	bin    string
	dir    string
	config string
}

func newEnv(t *testing.T, config string, defs map[string]string, plugins ...string) *env {
	t.Helper()
	bin := binDir(t, plugins...)
	// unix socket paths are limited to ~108 bytes: keep the dir short.
	dir, err := os.MkdirTemp("", "oma")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, body := range defs {
		p := filepath.Join(dir, "defs", name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(body), 0o644))
	}
	cfg := filepath.Join(dir, "openoma.yaml")
	must(t, os.WriteFile(cfg, []byte("data_dir: data\ndefinitions: [defs]\n"+config), 0o644))
	return &env{t: t, bin: bin, dir: dir, config: cfg}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cli runs openoma-host with the env's config and returns stdout and the
// exit status.
func (e *env) cli(ctx context.Context, args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), append([]string{"--config", e.config}, args...)...)
	cmd.Env = append(os.Environ(), "OPENOMA_LOG_LEVEL=warn")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("openoma-host %s: %v", strings.Join(args, " "), err)
	}
	if code != 0 && code != 1 {
		e.t.Logf("openoma-host %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), code
}

// cliJSON runs a verb with --json and decodes its output into v.
func (e *env) cliJSON(ctx context.Context, v any, args ...string) int {
	e.t.Helper()
	out, code := e.cli(ctx, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("openoma-host %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return code
}

// daemon is a running `openoma-host serve`.
type daemon struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

// serve starts the daemon and waits until its control socket answers.
func (e *env) serve() *daemon {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "openoma-host"), "--config", e.config, "serve")
	logs := &bytes.Buffer{}
	lw := &lockedWriter{w: logs}
	cmd.Stdout, cmd.Stderr = lw, lw
	must(e.t, cmd.Start())
	d := &daemon{cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()
	e.t.Cleanup(func() { d.kill() })
	sock := filepath.Join(e.dir, "data", "control.sock")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return d
		}
		select {
		case <-d.done:
			e.t.Fatalf("serve exited early:\n%s", d.output())
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("serve did not come up:\n%s", d.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) output() string {
	if lw, ok := d.cmd.Stderr.(*lockedWriter); ok {
		lw.mu.Lock()
		defer lw.mu.Unlock()
	}
	return d.logs.String()
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	if d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// stop sends SIGTERM and waits for a graceful exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	must(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM:\n%s", d.output())
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// childPIDs lists processes whose parent is pid.
func childPIDs(pid int) []int {
	var out []int
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		var child int
		if _, err := fmt.Sscanf(p.Name(), "%d", &child); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", p.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command (which may contain spaces) start after ')'.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
		var state string
		var ppid int
		if _, err := fmt.Sscanf(rest, "%s %d", &state, &ppid); err == nil && ppid == pid && state != "Z" {
			out = append(out, child)
		}
	}
	return out
}

func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
	return !strings.HasPrefix(rest, "Z")
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
