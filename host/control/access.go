package control

import (
	"fmt"
	"os"
	"strings"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
)

// Access says who may use the control socket: the daemon's own user,
// root, and — with a socket group — the group's members. The file mode of
// the socket and its directory keep everyone else from connecting; the
// server checks every peer again with SO_PEERCRED, so a mode that is
// looser than meant (or a descriptor passed on) admits nobody else.
type Access struct {
	// OwnerUID is the daemon's effective uid.
	OwnerUID int
	// Owner is its login name, for refusals.
	Owner string
	// Group, when set, is the OS group whose members may connect.
	Group *identity.Group
	// Mode is the socket's file mode: 0600, or 0660 with a group.
	Mode os.FileMode

	// denyRoot refuses root too; only tests set it, so that a test run as
	// root can watch a refusal.
	denyRoot bool
}

// AccessOf is the access the configuration asks for, with the group
// looked up: control.socket_group and control.socket_mode.
func AccessOf(cfg config.Control) (Access, error) {
	owner := identity.LookupOSUser(os.Geteuid(), os.Getegid(), os.Getpid())
	a := Access{OwnerUID: owner.UID, Owner: owner.Login, Mode: 0o600}
	if cfg.SocketMode != 0 {
		a.Mode = os.FileMode(cfg.SocketMode)
	}
	if cfg.SocketGroup != "" {
		g, err := identity.LookupGroup(cfg.SocketGroup)
		if err != nil {
			return Access{}, fmt.Errorf("control.socket_group: %w", err)
		}
		a.Group = &g
	}
	if a.Mode != 0o600 && (a.Mode != 0o660 || a.Group == nil) {
		return Access{}, fmt.Errorf("control.socket_mode %#o: want 0600, or 0660 with control.socket_group", a.Mode)
	}
	return a, nil
}

// PrivateAccess admits only the daemon's user and root, with a 0600
// socket.
func PrivateAccess() Access {
	owner := identity.LookupOSUser(os.Geteuid(), os.Getegid(), os.Getpid())
	return Access{OwnerUID: owner.UID, Owner: owner.Login, Mode: 0o600}
}

// admit returns nil when u may use the socket, else a refusal that says who
// may.
func (a Access) admit(u identity.OSUser) error {
	if u.UID == a.OwnerUID || (u.UID == 0 && !a.denyRoot) {
		return nil
	}
	if a.Group != nil {
		ok, err := identity.InGroup(u, *a.Group)
		if err != nil {
			return fmt.Errorf("%w: OS user %s (uid %d): %v", ErrDenied, u.Login, u.UID, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%w: OS user %s (uid %d) may not use this daemon's control socket; %s may",
		ErrDenied, u.Login, u.UID, a.whoMay())
}

// whoMay names who the socket admits.
func (a Access) whoMay() string {
	who := []string{"its owner " + a.Owner, "root"}
	if a.Group != nil {
		who = append(who, "members of group "+a.Group.Name)
	}
	return strings.Join(who, ", ")
}

// dirMode is the mode of a socket directory the host creates.
func (a Access) dirMode() os.FileMode {
	if a.Group != nil {
		return 0o750
	}
	return 0o700
}

// gid is the group the host's socket files get, or -1 (unchanged).
func (a Access) gid() int {
	if a.Group != nil {
		return a.Group.GID
	}
	return -1
}
