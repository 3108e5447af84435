package plugins

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store/memory"
)

// testBinDir holds the test plugin, built once for all tests.
var testBinDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plugins-test")
	if err != nil {
		panic(err)
	}
	testBinDir = dir
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, BinaryPrefix+"test"), "./internal/testplugin").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newManager(t *testing.T, specs []Spec, opts Options) *Manager {
	t.Helper()
	if opts.HostDir == "" {
		opts.HostDir = testBinDir
	}
	if opts.RestartBackoff == 0 {
		opts.RestartBackoff = 10 * time.Millisecond
	}
	m, err := NewManager(specs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func pidOf(t *testing.T, m *Manager, name string) int {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name && s.Running {
			return s.PID
		}
	}
	t.Fatalf("plugin %q is not running: %+v", name, m.Status())
	return 0
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLaunchOnDemandAndDescribe(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}}}, Options{})
	if m.Status()[0].Running {
		t.Fatal("plugin started before first use")
	}
	a, err := m.Adapter("test")
	if err != nil {
		t.Fatal(err)
	}
	info, err := a.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "testplugin" || info.ProtocolVersion != sdk.ProtocolVersion {
		t.Fatalf("info = %+v", info)
	}
	pid := pidOf(t, m, "test")
	m.Close()
	waitGone(t, pid)
}

func TestExecuteThroughTheRealBoundary(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}}}, Options{})
	a, _ := m.Adapter("test")
	st := memory.New()
	defer st.Close()
	block := core.WorkBlock{ID: uuid.New(), Version: 1, Name: "echo",
		Inputs:  []core.PortDescriptor{{Name: "x", Required: true}},
		Outputs: []core.PortDescriptor{{Name: "x", Required: true}}}
	execID := uuid.New()
	created, _ := execution.NewEvent(execID, execution.EventCreated, nil, execution.Created{
		Kind: execution.KindBlock, WorkBlockID: block.ID, WorkBlockVersion: 1, Inputs: map[string]any{"x": "hi"}, Attempt: 1})
	if _, err := st.Append(context.Background(), []execution.Event{created}, storeOpts()); err != nil {
		t.Fatal(err)
	}
	got, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: execID, Block: block,
		Inputs: map[string]any{"x": "hi"}, Attempt: 1, Store: st})
	if err != nil || got != execID {
		t.Fatalf("ExecuteBlock = %v, %v", got, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, err := st.LatestEvent(context.Background(), execID)
		if err == nil && ev.EventType == execution.EventCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("block did not complete; last event %+v, %v", ev, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRefusals(t *testing.T) {
	bin := filepath.Join(testBinDir, BinaryPrefix+"test")
	sum, err := FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	notPlugin := filepath.Join(t.TempDir(), "not-a-plugin")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho hello\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    Spec
		env     []string
		wantIs  error
		wantMsg []string
	}{
		{"checksum mismatch", Spec{Name: "test", Hints: []string{"test"}, SHA256: strings.Repeat("0", 64)},
			nil, ErrChecksum, []string{"has sha256 " + sum, "refusing to run it"}},
		{"hints not served", Spec{Name: "test", Hints: []string{"test", "sql"}},
			nil, ErrHints, []string{"config routes sql to it, but it serves only test"}},
		{"not a plugin", Spec{Name: "bogus", Path: notPlugin, Hints: []string{"x"}},
			nil, nil, []string{`plugin "bogus"`, notPlugin}},
		{"missing binary", Spec{Name: "nowhere", Hints: []string{"x"}},
			nil, nil, []string{"openoma-plugin-nowhere is neither beside the host binary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, []Spec{tt.spec}, Options{StartTimeout: 5 * time.Second})
			a, _ := m.Adapter(tt.spec.Name)
			_, err := a.Describe(context.Background())
			if err == nil {
				t.Fatal("plugin was accepted")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if s := m.Status()[0]; s.Running || s.LastError == "" {
				t.Errorf("status = %+v, want not running with the error", s)
			}
		})
	}
	t.Run("matching checksum", func(t *testing.T) {
		m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, SHA256: strings.ToUpper(sum)}}, Options{})
		a, _ := m.Adapter("test")
		if _, err := a.Describe(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCrashIsNoticedRestartedAndReported(t *testing.T) {
	var restarts atomic.Int32
	restarted := make(chan time.Time, 4)
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}}}, Options{
		OnRestart: func(ctx context.Context, r Restart) error {
			restarts.Add(1)
			restarted <- time.Now()
			return nil
		},
	})
	a, _ := m.Adapter("test")
	if _, err := a.Describe(context.Background()); err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, m, "test")
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-restarted:
		t.Logf("kill -9 → plugin running again in %v", at.Sub(killed))
	case <-time.After(10 * time.Second):
		t.Fatal("OnRestart was not called")
	}
	newPID := pidOf(t, m, "test")
	if newPID == pid {
		t.Fatal("same pid after restart")
	}
	s := m.Status()[0]
	if s.Restarts != 1 || !strings.Contains(s.LastExit, "killed") {
		t.Fatalf("status = %+v, want 1 restart and the kill as last exit", s)
	}
	if _, err := a.Describe(context.Background()); err != nil {
		t.Fatalf("the same Adapter value must reach the new process: %v", err)
	}
}

func TestCallLostToACrashIsUnavailable(t *testing.T) {
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: []string{"TESTPLUGIN_EXIT_IN_EXECUTE=1"}}}, Options{})
	a, _ := m.Adapter("test")
	block := core.WorkBlock{ID: uuid.New(), Version: 1, Name: "b"}
	_, err := a.ExecuteBlock(context.Background(), sdk.ExecuteRequest{ExecutionID: uuid.New(), Block: block, Attempt: 1, Store: memory.New()})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("err = %v, want sdk.ErrUnavailable", err)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	m := newManager(t, []Spec{{Name: "a", Path: filepath.Join(testBinDir, BinaryPrefix+"test"), Hints: []string{"test"}},
		{Name: "test", Hints: []string{"test"}}}, Options{})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pids := []int{pidOf(t, m, "a"), pidOf(t, m, "test")}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
	if _, err := m.instance(context.Background(), "a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, BinaryPrefix+"x")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec    Spec
		want    string
		wantErr string
	}{
		{Spec{Name: "x"}, exe, ""},
		{Spec{Name: "x", Path: exe}, exe, ""},
		{Spec{Name: "x", Path: plain}, "", "not executable"},
		{Spec{Name: "x", Path: filepath.Join(dir, "none")}, "", "no such file"},
		{Spec{Name: "y"}, "", "openoma-plugin-y is neither beside the host binary"},
		{Spec{Name: "x", Path: "sh"}, "", ""},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.spec, dir)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%+v) err = %v, want %q", tt.spec, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Resolve(%+v): %v", tt.spec, err)
		case tt.want != "" && got != tt.want:
			t.Errorf("Resolve(%+v) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}

func TestRestartDelay(t *testing.T) {
	base, ceiling := 100*time.Millisecond, time.Second
	for n, want := range []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second} {
		if got := restartDelay(n, base, ceiling); got != want {
			t.Errorf("restartDelay(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestQuickCrashesBackOff: a plugin that dies right after every start must
// not be restarted in a tight loop (each round would append a release and
// an assignment per open block to the log, for ever).
func TestQuickCrashesBackOff(t *testing.T) {
	var restarts atomic.Int32
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"}, Env: []string{"TESTPLUGIN_EXIT_AFTER=10ms"}}}, Options{
		RestartBackoff: 300 * time.Millisecond, RestartBackoffMax: 5 * time.Second, StableUptime: 10 * time.Second,
		OnRestart: func(context.Context, Restart) error { restarts.Add(1); return nil },
	})
	a, _ := m.Adapter("test")
	_, _ = a.Describe(context.Background())
	time.Sleep(2 * time.Second)
	// Restarts come after 0.3, 0.6, 1.2 s of waiting (plus start times):
	// at most 4 in 2 s, where an immediate restart loop makes a dozen.
	if n := restarts.Load(); n > 4 {
		t.Fatalf("%d restarts in 2s of quick crashes; want the delay to grow", n)
	}
}
