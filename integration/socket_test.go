package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openoma/openoma/host/control"
)

// TestOtherUserCannotReachTheControlSocket (issue 9 #8): with the socket
// in a world-writable directory and serve started under umask 000,
// another OS user hammers the socket while the daemon starts, ten times
// over, and is never served — not in the instant between bind and chmod
// that used to admit it, and not after.
func TestOtherUserCannotReachTheControlSocket(t *testing.T) {
	requireRoot(t)
	e := newEnv(t, "", nil)
	must(t, os.MkdirAll(filepath.Join(e.dir, "defs"), 0o755))
	shared := filepath.Join(e.dir, "shared")
	must(t, os.Mkdir(shared, 0o777))
	must(t, os.Chmod(shared, 0o1777)) // like /tmp
	must(t, os.Chmod(e.dir, 0o755))
	sock := filepath.Join(shared, "c.sock")
	appendConfig(t, e, fmt.Sprintf("control:\n  socket: %s\n", sock))
	eve := addUser(t, "eve")

	probe := startProbe(t, eve, sock)
	const starts = 10
	for i := range starts {
		d := serveWithUmask(t, e, sock, "000")
		d.stop(t)
		t.Logf("start %d: daemon up and stopped", i)
	}
	got := probe.finish(t)
	t.Logf("probe as %s: %+v", eve.Username, got)
	if got.Served != 0 || got.Connected != 0 {
		t.Fatalf("another OS user connected %d times and was served %d times: %+v", got.Connected, got.Served, got)
	}
	if got.Attempts < starts || got.RefusedByMode == 0 {
		t.Fatalf("the probe did not try while the daemon was up: %+v", got)
	}
	if !strings.Contains(got.LastRefusal, "admits only its owner") {
		t.Errorf("the refusal does not say who may use the socket: %q", got.LastRefusal)
	}
}

// serveWithUmask starts serve under a shell's umask and waits for the
// socket to answer.
func serveWithUmask(t *testing.T, e *env, sock, umask string) *daemon {
	t.Helper()
	script := fmt.Sprintf("umask %s; exec %q --config %q serve", umask, filepath.Join(e.bin, "openoma-host"), e.config)
	cmd := exec.Command("sh", "-c", script)
	logs := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = logs, logs
	must(t, cmd.Start())
	d := &daemon{cmd: cmd, logs: logs.w, done: make(chan struct{})}
	exited := make(chan error, 1)
	go func() { err := cmd.Wait(); exited <- err; close(d.done) }()
	t.Cleanup(d.kill)
	if err := waitServing(sock, exited, 30*time.Second); err != nil {
		t.Fatalf("serve: %v\n%s", err, d.output())
	}
	return d
}

// appendConfig adds YAML to the env's config file.
func appendConfig(t *testing.T, e *env, yaml string) {
	t.Helper()
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(yaml)
	must(t, errors.Join(err, f.Close()))
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test creates OS users (run the integration tests as root to cover it)")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("needs useradd to create OS users: " + err.Error())
	}
}

// addUser creates an OS user (removed at the end), in groups.
func addUser(t *testing.T, prefix string, groups ...string) *user.User {
	t.Helper()
	name := fmt.Sprintf("oma%s%04d", prefix, rand.IntN(10000))
	args := []string{"-M", "-N", "-s", "/usr/sbin/nologin"}
	if len(groups) > 0 {
		args = append(args, "-G", strings.Join(groups, ","))
	}
	if out, err := exec.Command("useradd", append(args, name)...).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	must(t, err)
	return u
}

// addGroup creates an OS group (removed at the end).
func addGroup(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("oma%s%04d", prefix, rand.IntN(10000))
	if out, err := exec.Command("groupadd", name).CombinedOutput(); err != nil {
		t.Fatalf("groupadd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("groupdel", name).Run() })
	return name
}

// asUser makes cmd run as u (its primary and supplementary groups).
func asUser(t *testing.T, cmd *exec.Cmd, u *user.User) {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	ids, err := u.GroupIds()
	must(t, err)
	var groups []uint32
	for _, g := range ids {
		n, _ := strconv.Atoi(g)
		groups = append(groups, uint32(n))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
	cmd.Env = append(os.Environ(), "HOME=/")
}

// probeResult is what the probe saw.
type probeResult struct {
	Attempts, RefusedByMode, Connected, RefusedByServer, NoDaemon, Served int
	LastRefusal                                                           string
}

type probe struct {
	cmd  *exec.Cmd
	out  io.ReadCloser
	stop string
}

// startProbe runs this test binary as u, connecting to sock over and
// over (TestHelperSocketProbe) until finish.
func startProbe(t *testing.T, u *user.User, sock string) *probe {
	t.Helper()
	dir, err := os.MkdirTemp("", "omaprobe")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o777))
	self, err := os.Executable()
	must(t, err)
	bin := filepath.Join(dir, "probe.test")
	b, err := os.ReadFile(self)
	must(t, err)
	must(t, os.WriteFile(bin, b, 0o755))
	p := &probe{stop: filepath.Join(dir, "stop")}
	p.cmd = exec.Command(bin, "-test.run=^TestHelperSocketProbe$")
	asUser(t, p.cmd, u)
	p.cmd.Env = append(p.cmd.Env, "OMA_PROBE_SOCKET="+sock, "OMA_PROBE_STOP="+p.stop)
	p.cmd.Dir = dir
	p.out, err = p.cmd.StdoutPipe()
	must(t, err)
	p.cmd.Stderr = os.Stderr
	must(t, p.cmd.Start())
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	// The probe says "ready" before its first attempt, so no start of the
	// daemon can happen before it is trying.
	line, err := bufio.NewReader(p.out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("probe did not start: %q, %v", line, err)
	}
	return p
}

func (p *probe) finish(t *testing.T) probeResult {
	t.Helper()
	must(t, os.WriteFile(p.stop, nil, 0o644))
	rest, err := io.ReadAll(p.out)
	must(t, err)
	must(t, p.cmd.Wait())
	var r probeResult
	for _, line := range strings.Split(string(rest), "\n") {
		if v, ok := strings.CutPrefix(line, "result "); ok {
			fmt.Sscanf(v, "%d %d %d %d %d %d", &r.Attempts, &r.RefusedByMode, &r.Connected, &r.RefusedByServer, &r.NoDaemon, &r.Served)
		}
		if v, ok := strings.CutPrefix(line, "refusal "); ok {
			r.LastRefusal = v
		}
	}
	return r
}

// probeOnce connects once: a raw connect first (which the socket's mode
// must refuse), then, if that got through, a real call.
func probeOnce(sock string, r *probeResult) {
	raw, err := net.Dial("unix", sock)
	switch {
	case errors.Is(err, syscall.EACCES):
		r.RefusedByMode++
		// What a person would read, while the socket is there.
		if _, derr := control.Dial(context.Background(), sock); derr != nil && strings.Contains(derr.Error(), "admits only its owner") {
			r.LastRefusal = derr.Error()
		}
		return
	case err != nil:
		r.NoDaemon++
		return
	}
	raw.Close()
	r.Connected++
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := control.Dial(ctx, sock)
	if err != nil {
		return
	}
	defer c.Close()
	_, err = c.Plugins(ctx)
	switch {
	case err == nil:
		r.Served++
	case errors.Is(err, control.ErrDenied):
		r.RefusedByServer++
		r.LastRefusal = err.Error()
	}
}

// TestHelperSocketProbe is the probe, run as another OS user by
// startProbe; it does nothing in a normal test run.
func TestHelperSocketProbe(t *testing.T) {
	sock, stop := os.Getenv("OMA_PROBE_SOCKET"), os.Getenv("OMA_PROBE_STOP")
	if sock == "" {
		t.Skip("helper process of TestOtherUserCannotReachTheControlSocket")
	}
	fmt.Println("ready")
	var r probeResult
	for {
		if _, err := os.Stat(stop); err == nil {
			break
		}
		r.Attempts++
		probeOnce(sock, &r)
	}
	fmt.Printf("result %d %d %d %d %d %d\n", r.Attempts, r.RefusedByMode, r.Connected, r.RefusedByServer, r.NoDaemon, r.Served)
	fmt.Printf("refusal %s\n", r.LastRefusal)
}
