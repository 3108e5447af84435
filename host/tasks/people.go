package tasks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openoma/openoma/host/identity"
)

// Actor is who acts on a task: the person (and groups) the caller is, as
// the identity model resolved it for the transport it came by, or the
// person an admin acts for. It is recorded on every event it causes
// (Executor).
type Actor = identity.Caller

// mayAct reports whether a may act on t, and if not, who may.
func mayAct(people *identity.Directory, t *Task, a Actor) error {
	if a.Admin {
		return nil
	}
	switch {
	case t.Assignee != "":
		if t.Assignee == a.Person {
			return nil
		}
		return fmt.Errorf("%w: task %s is assigned to %q; only %s or an admin (%s) may act on it",
			ErrDenied, short(t.ID), t.Assignee, t.Assignee, orNone(people.Admins()))
	case len(t.CandidateGroups) > 0:
		for _, g := range a.Groups {
			if slices.Contains(t.CandidateGroups, g) {
				return nil
			}
		}
		return fmt.Errorf("%w: task %s is for group %s and %s is in %s; a member of %s or an admin (%s) may act on it",
			ErrDenied, short(t.ID), strings.Join(t.CandidateGroups, ", "), a.Person, groupsOf(a.Groups),
			strings.Join(t.CandidateGroups, " or "), orNone(people.Admins()))
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
