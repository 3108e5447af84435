//go:build unix

package badger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFileName is our own lock beside Badger's: Badger's lock error is a
// flattened string, so taking a lock first lets Open recognise "in use"
// reliably and name the process that holds the directory.
const lockFileName = "openoma.lock"

// dirLock is an exclusive, non-blocking flock on dir/openoma.lock, held
// for the life of the Store. The kernel drops it when the process dies, so
// a crashed host never leaves a stale lock.
type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open event store in %s: lock file: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("open event store in %s: %w%s; stop it or use another data directory",
				dir, ErrLocked, holder(path))
		}
		return nil, fmt.Errorf("open event store in %s: lock %s: %w", dir, path, err)
	}
	// The pid is advisory, for the error message of the next opener.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// holder describes the process recorded in the lock file, if any.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid := strings.TrimSpace(string(b))
	if pid == "" {
		return ""
	}
	if pid == strconv.Itoa(os.Getpid()) {
		return " (this process already has it open)"
	}
	return " (pid " + pid + ")"
}

func (l *dirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	// Closing the descriptor drops the flock. The file stays: removing it
	// would race with a process that just opened it.
	_ = l.f.Close()
	l.f = nil
}
