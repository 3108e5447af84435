package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrServeLockHeld: another process holds the serve lock of a socket — a
// daemon that is starting (or running), or a CLI verb serving its embedded
// host. Its socket answers soon, or the lock is released soon.
var ErrServeLockHeld = errors.New("another openoma-host holds the control socket's serve lock")

// ServeLock is held by the one process that serves (or is about to serve)
// a control socket and the data directory behind it: `serve` from before
// it opens the data directory until it exits, or a CLI verb for as long as
// its embedded host runs. It is what lets a verb that finds no socket tell
// "no daemon" from "a daemon is starting" (and wait for it instead of
// opening the data directory itself), and lets serve wait for a
// short-lived verb instead of failing on the data directory's lock. The
// kernel drops it when its process dies, so it is never stale.
type ServeLock struct{ f *os.File }

// Role is what a serve lock's holder is.
type Role string

// The roles: a daemon serves for its whole life; a verb serves its
// embedded host for one command.
const (
	RoleDaemon Role = "daemon"
	RoleVerb   Role = "verb"
)

// HeldError says who holds a serve lock.
type HeldError struct {
	Path string
	// Holder is what the holder wrote: its role, pid and command, or ""
	// when it has not yet written.
	Holder string
}

// Daemon reports whether the holder is a daemon (which will not let go
// until it is stopped), as opposed to a verb (which soon will).
func (e *HeldError) Daemon() bool { return strings.HasPrefix(e.Holder, string(RoleDaemon)+" ") }

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s: %v (%s)", e.Path, ErrServeLockHeld, e.Who())
}

func (e *HeldError) Unwrap() error { return ErrServeLockHeld }

// Who describes the holder for messages.
func (e *HeldError) Who() string {
	if e.Holder == "" {
		return "another process"
	}
	return e.Holder
}

// serveLockPath is the lock file of a socket.
func serveLockPath(socket string) string { return socket + ".lock" }

// LockServe takes the serve lock of socket without waiting; the role and
// who (the command line) are recorded for the messages of others. A lock
// someone holds is a *HeldError. The lock file is created beside the
// socket with the socket's access: 0600, or 0640 and the socket group, so
// members can tell a starting daemon too (ProbeServe).
func LockServe(socket string, a Access, role Role, who string) (*ServeLock, error) {
	path := serveLockPath(socket)
	if err := ensureDir(filepath.Dir(socket), a); err != nil {
		return nil, fmt.Errorf("serve lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve lock %s: %w", path, err)
	}
	if err := checkLockFile(f, path, a); err != nil {
		f.Close()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Path: path, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("serve lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("%s pid %d: %s\n", role, os.Getpid(), who)), 0)
	}
	return &ServeLock{f: f}, nil
}

// checkLockFile makes the lock file the daemon's own, with the socket's
// access; one that belongs to someone else (planted in a shared directory)
// is refused.
func checkLockFile(f *os.File, path string, a Access) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("serve lock %s: %w", path, err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != a.OwnerUID {
		return fmt.Errorf("serve lock %s belongs to uid %d, not to this daemon's user (uid %d); remove it", path, sys.Uid, a.OwnerUID)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("serve lock %s is not a regular file", path)
	}
	mode := os.FileMode(0o600)
	if gid := a.gid(); gid >= 0 {
		mode = 0o640
		if err := f.Chown(-1, gid); err != nil {
			return fmt.Errorf("serve lock %s: %w", path, err)
		}
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("serve lock %s: %w", path, err)
	}
	return nil
}

// ProbeServe tells, for someone who may not take the serve lock (a member
// of the socket group), whether a daemon holds it: a *HeldError when one
// does, nil when nobody does.
func ProbeServe(socket string) error {
	path := serveLockPath(socket)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve lock %s: %w", path, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return &HeldError{Path: path, Holder: readHolder(f)}
		}
		return fmt.Errorf("serve lock %s: %w", path, err)
	}
	return nil
}

// WaitServe takes the serve lock of socket for a daemon, waiting up to
// timeout while a verb holds it; onWait is told who, when the wait begins
// and every ten seconds after. Another daemon holding it is an error at
// once: it will not let go.
func WaitServe(ctx context.Context, socket string, a Access, who string, timeout time.Duration, onWait func(holder string, waited time.Duration)) (*ServeLock, error) {
	start := time.Now()
	var told time.Duration = -1
	for {
		l, err := LockServe(socket, a, RoleDaemon, who)
		var held *HeldError
		if !errors.As(err, &held) {
			return l, err
		}
		if held.Daemon() {
			return nil, fmt.Errorf("another openoma-host daemon serves %s (%s); stop it first: %w", socket, held.Who(), ErrServeLockHeld)
		}
		waited := time.Since(start)
		if waited >= timeout {
			return nil, fmt.Errorf("%w; waited %s for it to let go (%s): stop it, or try again with a longer wait",
				held, timeout, held.Who())
		}
		if told < 0 || waited-told >= 10*time.Second {
			onWait(held.Who(), waited)
			told = waited
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Release drops the lock.
func (l *ServeLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Close()
	l.f = nil
}

func readHolder(f *os.File) string {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 256))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
