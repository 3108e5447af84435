package identity

import (
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
)

// OSUser is an OS process's identity as the kernel reports it (for a
// control-socket peer: SO_PEERCRED), with its login name.
type OSUser struct {
	UID, GID, PID int
	// Login is the user's name, or the uid as text when it has none.
	Login string
}

// LookupOSUser completes the kernel's numbers with the login name.
func LookupOSUser(uid, gid, pid int) OSUser {
	u := OSUser{UID: uid, GID: gid, PID: pid, Login: strconv.Itoa(uid)}
	if pw, err := user.LookupId(u.Login); err == nil {
		u.Login = pw.Username
	}
	return u
}

// Group is an OS group.
type Group struct {
	Name string
	GID  int
}

// LookupGroup finds an OS group by name.
func LookupGroup(name string) (Group, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return Group{}, fmt.Errorf("OS group %q: %w", name, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return Group{}, fmt.Errorf("OS group %q has a gid that is not a number: %q", name, g.Gid)
	}
	return Group{Name: g.Name, GID: gid}, nil
}

// InGroup reports whether an OS user belongs to group: as its current
// group (the kernel's gid of the process, e.g. after newgrp), its primary
// group or one of its supplementary groups (os/user, read each call so a
// membership change counts at the next connection).
func InGroup(u OSUser, g Group) (bool, error) {
	if u.GID == g.GID {
		return true, nil
	}
	pw, err := user.LookupId(strconv.Itoa(u.UID))
	if err != nil {
		// A uid with no passwd entry has no supplementary groups to check.
		var unknown user.UnknownUserIdError
		if errors.As(err, &unknown) {
			return false, nil
		}
		return false, fmt.Errorf("groups of uid %d: %w", u.UID, err)
	}
	if pw.Gid == strconv.Itoa(g.GID) {
		return true, nil
	}
	ids, err := pw.GroupIds()
	if err != nil {
		return false, fmt.Errorf("groups of %s: %w", pw.Username, err)
	}
	return slices.Contains(ids, strconv.Itoa(g.GID)), nil
}
