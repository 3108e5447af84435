package tasks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
)

// Actor is who acts on a task: the person (and groups) the OS user maps
// to, or the person an admin acts for with --as.
type Actor struct {
	Person string
	Groups []string
	// Admin: the OS user behind the action is an admin.
	Admin bool
	// OSUser and UID identify the caller as the control socket saw it.
	OSUser string
	UID    int
	// By is the caller's own person name when it differs from Person (an
	// admin acting for someone).
	By string
}

// Executor is how the actor is recorded on the events it causes.
func (a Actor) Executor() execution.ExecutorInfo {
	md := map[string]any{"kind": holderPerson, "os_user": a.OSUser, "uid": a.UID}
	if a.By != "" {
		md["on_behalf_by"] = a.By
	}
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: a.Person, Metadata: md}
}

func (a Actor) String() string {
	s := fmt.Sprintf("%s (OS user %s, uid %d)", a.Person, a.OSUser, a.UID)
	if a.By != "" {
		s += " on behalf, by " + a.By
	}
	return s
}

// Directory maps OS users to people, from the config.
type Directory struct {
	byOSUser map[string]config.Person
	byName   map[string]config.Person
	admins   []string
}

// NewDirectory builds the directory of cfg.
func NewDirectory(cfg config.Tasks) *Directory {
	d := &Directory{byOSUser: map[string]config.Person{}, byName: map[string]config.Person{}, admins: cfg.Admins}
	for _, p := range cfg.People {
		if p.Name == "" {
			p.Name = p.OSUser
		}
		d.byOSUser[p.OSUser] = p
		d.byName[p.Name] = p
	}
	return d
}

// person returns the person an OS user is, by login name or uid.
func (d *Directory) person(c control.Caller) config.Person {
	if p, ok := d.byOSUser[c.User]; ok {
		return p
	}
	if p, ok := d.byOSUser[strconv.Itoa(c.UID)]; ok {
		return p
	}
	return config.Person{OSUser: c.User, Name: c.User}
}

// IsAdmin reports whether person may act on any task.
func (d *Directory) IsAdmin(person string) bool { return slices.Contains(d.admins, person) }

// Admins lists the admins, for refusals.
func (d *Directory) Admins() []string { return d.admins }

// Actor resolves who acts: the caller's own person, or with as (non-empty)
// the person named, which only an admin may name for someone else.
func (d *Directory) Actor(c control.Caller, as string) (Actor, error) {
	if c.User == "" {
		return Actor{}, fmt.Errorf("%w: the caller's OS identity is unknown", ErrDenied)
	}
	self := d.person(c)
	a := Actor{Person: self.Name, Groups: self.Groups, Admin: d.IsAdmin(self.Name), OSUser: c.User, UID: c.UID}
	as = strings.TrimSpace(as)
	if as == "" || as == self.Name {
		return a, nil
	}
	if !a.Admin {
		return Actor{}, fmt.Errorf("%w: OS user %s is %q and may not act as %q: only an admin (%s) may act for someone else",
			ErrDenied, c.User, self.Name, as, orNone(d.admins))
	}
	target, ok := d.byName[as]
	if !ok {
		target = config.Person{Name: as}
	}
	return Actor{Person: as, Groups: target.Groups, Admin: true, OSUser: c.User, UID: c.UID, By: self.Name}, nil
}

// mayAct reports whether a may act on t, and if not, who may.
func (d *Directory) mayAct(t *Task, a Actor) error {
	if a.Admin {
		return nil
	}
	switch {
	case t.Assignee != "":
		if t.Assignee == a.Person {
			return nil
		}
		return fmt.Errorf("%w: task %s is assigned to %q; only %s or an admin (%s) may act on it",
			ErrDenied, short(t.ID), t.Assignee, t.Assignee, orNone(d.admins))
	case len(t.CandidateGroups) > 0:
		for _, g := range a.Groups {
			if slices.Contains(t.CandidateGroups, g) {
				return nil
			}
		}
		return fmt.Errorf("%w: task %s is for group %s and %s is in %s; a member of %s or an admin (%s) may act on it",
			ErrDenied, short(t.ID), strings.Join(t.CandidateGroups, ", "), a.Person, groupsOf(a.Groups),
			strings.Join(t.CandidateGroups, " or "), orNone(d.admins))
	}
	return nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none configured"
	}
	return strings.Join(list, ", ")
}

func groupsOf(groups []string) string {
	if len(groups) == 0 {
		return "no group"
	}
	return "group " + strings.Join(groups, ", ")
}
