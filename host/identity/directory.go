package identity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openoma/openoma/host/config"
)

// Directory maps credentials to people, from the configuration's
// tasks.people and tasks.admins. It is read-only and safe for concurrent
// use.
type Directory struct {
	byOSUser map[string]config.Person
	byName   map[string]config.Person
	admins   []string
}

// NewDirectory builds the directory of the tasks configuration. A person
// listed without a name is named after the OS user.
func NewDirectory(cfg config.Tasks) *Directory {
	d := &Directory{byOSUser: map[string]config.Person{}, byName: map[string]config.Person{}, admins: slices.Clone(cfg.Admins)}
	for _, p := range cfg.People {
		if p.Name == "" {
			p.Name = p.OSUser
		}
		d.byOSUser[p.OSUser] = p
		d.byName[p.Name] = p
	}
	return d
}

// OSUser is who an OS user is: the person listed for its login (or its
// uid as text), else a person named after the login, in no group.
func (d *Directory) OSUser(u OSUser) Caller {
	p, ok := d.byOSUser[u.Login]
	if !ok {
		p, ok = d.byOSUser[strconv.Itoa(u.UID)]
	}
	if !ok {
		p = config.Person{OSUser: u.Login, Name: u.Login}
	}
	return Caller{
		Person: p.Name, Groups: slices.Clone(p.Groups), Admin: d.IsAdmin(p.Name),
		Via: ViaOSUser, User: u.Login, UID: u.UID, GID: u.GID, PID: u.PID,
	}
}

// Person returns the caller a person's name stands for, with via and
// tokenID saying how it was shown (a personal link). A name nobody maps
// to is ErrUnknown: links are issued only for people the config lists
// (or the owner's own login).
func (d *Directory) Person(name string, via Via, tokenID string) (Caller, error) {
	p, ok := d.byName[name]
	if !ok {
		return Caller{}, fmt.Errorf("%w: no person %q in tasks.people (have: %s)", ErrUnknown, name, orNone(d.Names()))
	}
	return Caller{Person: p.Name, Groups: slices.Clone(p.Groups), Admin: d.IsAdmin(p.Name), Via: via, TokenID: tokenID}, nil
}

// named is the caller a person's name stands for: with the groups
// tasks.people gives it, or in no group when it is not listed (as for an
// OS user who is not).
func (d *Directory) named(name string) Caller {
	p, ok := d.byName[name]
	if !ok {
		p = config.Person{Name: name}
	}
	return Caller{Person: p.Name, Groups: slices.Clone(p.Groups), Admin: d.IsAdmin(p.Name)}
}

// Names lists the people the config names, sorted.
func (d *Directory) Names() []string {
	names := make([]string, 0, len(d.byName))
	for n := range d.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// IsAdmin reports whether person may act on any task and for anyone.
func (d *Directory) IsAdmin(person string) bool { return slices.Contains(d.admins, person) }

// Admins lists the admins, for refusals.
func (d *Directory) Admins() []string { return slices.Clone(d.admins) }

// ActAs is the caller acting as the person named by as: the caller itself
// when as is empty or its own name; someone else only when the caller is
// an admin, and then the result records the admin in By.
func (d *Directory) ActAs(c Caller, as string) (Caller, error) {
	if !c.Known() {
		return Caller{}, fmt.Errorf("%w: the caller's identity is unknown", ErrDenied)
	}
	as = strings.TrimSpace(as)
	if as == "" || as == c.Person {
		return c, nil
	}
	if !c.Admin {
		return Caller{}, fmt.Errorf("%w: %s is %q and may not act as %q: only an admin (%s) may act for someone else",
			ErrDenied, credential(c), c.Person, as, orNone(d.admins))
	}
	target := config.Person{Name: as}
	if p, ok := d.byName[as]; ok {
		target = p
	}
	acting := c
	acting.Person, acting.Groups, acting.Admin, acting.By = as, slices.Clone(target.Groups), true, c.Person
	return acting, nil
}

// credential names how a caller came, for refusals.
func credential(c Caller) string {
	switch c.Via {
	case ViaOSUser:
		return "OS user " + c.User
	case ViaInboxLink:
		return "inbox link " + c.TokenID
	case ViaAPIToken:
		return "API token " + c.TokenID
	}
	return "the caller"
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none configured"
	}
	return strings.Join(list, ", ")
}
