package control

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/openoma/openoma/host/identity"
)

// BenchmarkConnectAndCall is what every CLI verb pays: connect, the
// server's SO_PEERCRED read, the access check and the person's resolution
// (os/user lookups), then one call.
func BenchmarkConnectAndCall(b *testing.B) {
	group, err := identity.LookupGroup("root")
	if err != nil || os.Getegid() != group.GID {
		b.Skip("run as a member of group root, so the group check is what admits the member case")
	}
	b.Run("owner", func(b *testing.B) { benchConnect(b, PrivateAccess()) })
	b.Run("group member", func(b *testing.B) {
		benchConnect(b, Access{OwnerUID: os.Geteuid() + 1, Owner: "other", Group: &group, Mode: 0o660, denyRoot: true})
	})
}

func benchConnect(b *testing.B, access Access) {
	sock := filepath.Join(b.TempDir(), "c.sock")
	l, err := Listen(sock, access)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(newFake(), ServerOptions{Access: access}).Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	for b.Loop() {
		c, err := Dial(ctx, sock)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Plugins(ctx); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkAdmit is the access check alone for a group member that is
// neither owner nor root (primary and supplementary groups read through
// os/user).
func BenchmarkAdmit(b *testing.B) {
	access := Access{OwnerUID: 1, Owner: "other", Group: &identity.Group{Name: "g", GID: 54000}, Mode: 0o660}
	peer := identity.LookupOSUser(os.Geteuid(), os.Getegid(), os.Getpid())
	access.denyRoot = true
	for b.Loop() {
		_ = access.admit(peer)
	}
}
