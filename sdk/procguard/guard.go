package procguard

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrClosed is returned by a Guard's methods after Close.
var ErrClosed = errors.New("process guard closed")

// Guard is the plugin's end of the watchdog. It starts the watchdog on
// first use and starts a new one, told everything still watched, should
// the watchdog die. It is safe for concurrent use; the zero value is not
// usable: call New.
type Guard struct {
	binary string
	env    []string

	mu      sync.Mutex
	proc    *exec.Cmd
	in      io.WriteCloser
	exited  chan struct{}
	closed  bool
	watched map[string]*watched
}

// New returns a Guard whose watchdog is this process's own binary
// (/proc/self/exe on Linux, which works even when the file was replaced
// since) with EnvGuard set. The binary must call RunIfGuard before doing
// anything else (sdk.Serve does).
func New() *Guard {
	binary := "/proc/self/exe"
	if runtime.GOOS != "linux" {
		if exe, err := os.Executable(); err == nil {
			binary = exe
		}
	}
	return &Guard{binary: binary, env: []string{EnvGuard + "=1"}, watched: map[string]*watched{}}
}

// Watch tells the watchdog that processes carrying marker (an environment
// entry NAME=VALUE, without spaces) belong to execution key. Call it
// before starting the execution's first command, so that even a command
// whose group was never reported is found.
func (g *Guard) Watch(key, marker string) error {
	if strings.ContainsAny(key+marker, " \n") || key == "" || !strings.Contains(marker, "=") {
		return fmt.Errorf("process guard: bad key %q or marker %q", key, marker)
	}
	return g.send(func(w *watched) { w.marker = marker }, key, "watch "+key+" "+marker)
}

// Group tells the watchdog that a command of execution key runs in process
// group pgid.
func (g *Guard) Group(key string, pgid int) error {
	if pgid <= 1 {
		return fmt.Errorf("process guard: bad process group %d", pgid)
	}
	return g.send(func(w *watched) { w.groups = append(w.groups, pgid) }, key, "group "+key+" "+strconv.Itoa(pgid))
}

// Forget tells the watchdog that execution key's commands ended and were
// cleaned up: nothing of it is to be killed any more.
func (g *Guard) Forget(key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	delete(g.watched, key)
	if g.in == nil {
		return nil // no watchdog yet: it has nothing to forget
	}
	return g.writeLocked("forget " + key)
}

func (g *Guard) send(update func(*watched), key, line string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	w := g.watched[key]
	if w == nil {
		w = &watched{}
		g.watched[key] = w
	}
	update(w)
	return g.writeLocked(line)
}

// writeLocked writes one line to the watchdog, starting one (told
// everything watched, which includes line) if none runs or the write
// fails because it died.
func (g *Guard) writeLocked(line string) error {
	if g.in != nil && !g.exitedLocked() {
		if _, err := io.WriteString(g.in, line+"\n"); err == nil {
			return nil
		}
	}
	return g.startLocked()
}

func (g *Guard) exitedLocked() bool {
	select {
	case <-g.exited:
		return true
	default:
		return false
	}
}

// startLocked starts a watchdog and tells it everything watched.
func (g *Guard) startLocked() error {
	if g.in != nil {
		_ = g.in.Close()
		g.in = nil
	}
	if os.Getenv(EnvGuard) != "" {
		// This process was started as a watchdog but runs as something
		// else: its binary does not call RunIfGuard. Starting another
		// would recurse.
		return fmt.Errorf("process guard: %s does not call procguard.RunIfGuard first, so it cannot be its own watchdog", g.binary)
	}
	cmd := exec.Command(g.binary)
	cmd.Env = append(os.Environ(), g.env...)
	cmd.Dir = "/"
	// Its own group, so a kill of the plugin's group spares it; no
	// Pdeathsig, since it must outlive the plugin; no stdout or stderr,
	// so it holds none of the plugin's pipes to the host open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("process guard: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("process guard: start the watchdog %s: %w", g.binary, err)
	}
	exited := make(chan struct{})
	started := time.Now()
	go func() {
		_ = cmd.Wait()
		close(exited)
		g.restartAfter(exited, time.Since(started))
	}()
	g.proc, g.in, g.exited = cmd, in, exited
	var b strings.Builder
	for key, w := range g.watched {
		if w.marker != "" {
			fmt.Fprintf(&b, "watch %s %s\n", key, w.marker)
		}
		for _, pgid := range w.groups {
			fmt.Fprintf(&b, "group %s %d\n", key, pgid)
		}
	}
	if _, err := io.WriteString(in, b.String()); err != nil {
		return fmt.Errorf("process guard: tell the watchdog: %w", err)
	}
	return nil
}

// restartAfter starts a new watchdog when the one that exited was not
// closed and had lived long enough not to be failing at start (a binary
// that cannot be a watchdog); otherwise the next message tries again.
func (g *Guard) restartAfter(exited chan struct{}, lived time.Duration) {
	if lived < restartAfterLiving {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.exited != exited {
		return
	}
	_ = g.startLocked()
}

// restartAfterLiving is how long a watchdog must have run for its death to
// be answered with a new one at once.
const restartAfterLiving = time.Second

// PID returns the running watchdog's process id, or 0.
func (g *Guard) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.proc == nil || g.proc.Process == nil || g.exitedLocked() {
		return 0
	}
	return g.proc.Process.Pid
}

// Close ends the watchdog: it kills whatever is still watched (normally
// nothing: a plugin shutting down has stopped its commands) and exits.
// Close waits for that.
func (g *Guard) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	in, exited := g.in, g.exited
	g.in = nil
	g.mu.Unlock()
	if in == nil {
		return nil
	}
	err := in.Close()
	<-exited
	return err
}
