package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
)

func TestAccessAdmits(t *testing.T) {
	me := os.Getegid()
	group := &identity.Group{Name: "crew", GID: me}
	const stranger = 54321 // no such user: no supplementary groups
	tests := []struct {
		name   string
		access Access
		peer   identity.OSUser
		want   string // "" admitted, else part of the refusal
	}{
		{"owner", Access{OwnerUID: 1000, Owner: "ann"}, identity.OSUser{UID: 1000, Login: "ann"}, ""},
		{"root", Access{OwnerUID: 1000, Owner: "ann"}, identity.OSUser{UID: 0, Login: "root"}, ""},
		{"stranger", Access{OwnerUID: 1000, Owner: "ann"}, identity.OSUser{UID: stranger, GID: stranger, Login: "eve"},
			"OS user eve (uid 54321) may not use this daemon's control socket; its owner ann, root may"},
		{"group member by its process gid", Access{OwnerUID: 1000, Owner: "ann", Group: group}, identity.OSUser{UID: stranger, GID: me, Login: "bob"}, ""},
		{"not in the group", Access{OwnerUID: 1000, Owner: "ann", Group: &identity.Group{Name: "crew", GID: 54000}}, identity.OSUser{UID: stranger, GID: stranger, Login: "eve"},
			"its owner ann, root, members of group crew may"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.access.admit(tt.peer)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a denial containing %q", err, tt.want)
			}
		})
	}
}

func TestAccessOfConfig(t *testing.T) {
	if _, err := AccessOf(config.Control{SocketGroup: "no-such-group-openoma"}); err == nil || !strings.Contains(err.Error(), "control.socket_group") {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := AccessOf(config.Control{SocketMode: 0o666}); err == nil {
		t.Fatal("mode 0666 accepted")
	}
	a, err := AccessOf(config.Control{})
	if err != nil || a.Mode != 0o600 || a.Group != nil || a.OwnerUID != os.Geteuid() {
		t.Fatalf("default access %+v, %v", a, err)
	}
}

// TestRefusedPeerIsServedNothing: a peer the access does not admit gets
// the refusal for every call, and the backend is never reached.
func TestRefusedPeerIsServedNothing(t *testing.T) {
	f := newFake()
	sock := filepath.Join(t.TempDir(), "c.sock")
	access := Access{OwnerUID: os.Geteuid() + 4242, Owner: "someone-else", Mode: 0o600, denyRoot: true}
	l, err := Listen(sock, access)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(f, ServerOptions{Access: access}).Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	c, err := Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	calls := map[string]func() error{
		"run":     func() error { _, err := c.Run(ctx, "flow", nil, false, nil); return err },
		"plugins": func() error { _, err := c.Plugins(ctx); return err },
		"task":    func() error { _, err := c.Task(ctx, TaskRequest{Verb: TaskList}); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "may not use this daemon's control socket; its owner someone-else, root may") {
			t.Errorf("%s: err = %v, want the refusal", name, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.runs) != 0 || f.taskBy.Known() {
		t.Fatalf("the backend was reached: runs %v, task by %+v", f.runs, f.taskBy)
	}
}

// TestListenNeverExposesALooseSocket: with umask 0 and a world-writable
// directory, the socket path only ever shows a socket of the intended mode
// (issue 9 #8: bind, then chmod, left a window).
func TestListenNeverExposesALooseSocket(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "c.sock")
	stop := make(chan struct{})
	seen := make(chan os.FileMode, 1)
	go func() {
		defer close(seen)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if st, err := os.Lstat(sock); err == nil && st.Mode().Perm() != 0o600 {
				seen <- st.Mode().Perm()
				return
			}
		}
	}()
	for range 200 {
		l, err := Listen(sock, PrivateAccess())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	close(stop)
	if m, ok := <-seen; ok {
		t.Fatalf("the socket was visible with mode %v", m)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".control-*"))
	if len(left) > 0 {
		t.Fatalf("private directories left behind: %v", left)
	}
}

// TestListenWithGroup: the socket and a directory the host creates get
// the group; the directory is 0750, the socket 0660.
func TestListenWithGroup(t *testing.T) {
	g := identity.Group{Name: "self", GID: os.Getegid()}
	if os.Geteuid() == 0 {
		if daemon, err := identity.LookupGroup("daemon"); err == nil {
			g = daemon // root may give files to any group: use one that differs
		}
	}
	access := Access{OwnerUID: os.Geteuid(), Owner: "me", Group: &g, Mode: 0o660}
	dir := filepath.Join(t.TempDir(), "run", "openoma")
	sock := filepath.Join(dir, "control.sock")
	l, err := Listen(sock, access)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for path, mode := range map[string]os.FileMode{dir: 0o750, sock: 0o660} {
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode || int(st.Sys().(*syscall.Stat_t).Gid) != g.GID {
			t.Errorf("%s: mode %v gid %d, want %v gid %d", path, st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Gid, mode, g.GID)
		}
	}
	l.Close()
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket still there after Close: %v", err)
	}
}
