package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Listen creates the unix socket at path for a. The socket is bound inside
// a fresh 0700 directory, given its mode and group there and only then
// renamed into place, so at no instant can anyone the mode does not admit
// reach it (whatever the umask and the mode of path's directory).
//
// A missing directory is created 0700 (0750 with the socket group, and
// that group); an existing one is left as it is. A stale socket left by a
// killed daemon is replaced; one that answers is another running daemon,
// and an error; any other file in the way is never removed.
func Listen(path string, a Access) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := ensureDir(dir, a); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	private, err := os.MkdirTemp(dir, ".control-")
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer os.RemoveAll(private)
	bound := filepath.Join(private, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: bound, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false) // the bound name is renamed away; Close removes path
	if err := finishSocket(bound, path, a); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	st, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &socketListener{UnixListener: l, path: path, file: st}, nil
}

// finishSocket sets the bound socket's mode and group, then moves it to
// path.
func finishSocket(bound, path string, a Access) error {
	if err := os.Chmod(bound, a.Mode); err != nil {
		return err
	}
	if gid := a.gid(); gid >= 0 {
		if err := os.Lchown(bound, -1, gid); err != nil {
			return fmt.Errorf("give the socket to group %s: %w", a.Group.Name, err)
		}
	}
	return os.Rename(bound, path)
}

// ensureDir creates the socket's directory when it is missing.
func ensureDir(dir string, a Access) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// MkdirAll's mode passes through the umask; set the intended one.
	if err := os.Chmod(dir, a.dirMode()); err != nil {
		return err
	}
	if gid := a.gid(); gid >= 0 {
		if err := os.Lchown(dir, -1, gid); err != nil {
			return fmt.Errorf("give %s to group %s: %w", dir, a.Group.Name, err)
		}
	}
	return nil
}

// removeStale removes a socket at path that nobody serves.
func removeStale(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("control socket %s: a file that is not a socket is in the way; refusing to remove it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another openoma-host is serving it", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("control socket %s: remove stale socket: %w", path, err)
	}
	return nil
}

// socketListener removes its socket file on Close — only if the file at
// the path is still the one it created.
type socketListener struct {
	*net.UnixListener
	path string
	file os.FileInfo
}

func (l *socketListener) Close() error {
	err := l.UnixListener.Close()
	if st, serr := os.Lstat(l.path); serr == nil && os.SameFile(st, l.file) {
		_ = os.Remove(l.path)
	}
	return err
}
