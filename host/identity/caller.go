package identity

import (
	"errors"
	"fmt"

	"github.com/openoma/openoma/execution"
)

// ErrDenied: the caller may not do what it asked (act as someone else,
// reach a transport). The error's text says who may.
var ErrDenied = errors.New("permission denied")

// ErrUnknown: the credential names nobody this host knows (an unknown
// person, a token that was never issued or has been revoked).
var ErrUnknown = errors.New("unknown identity")

// Via says how a caller proved who it is.
type Via string

// The credentials a transport can prove.
const (
	// ViaOSUser: the kernel named the OS user of a control-socket peer.
	ViaOSUser Via = "os_user"
	// ViaInboxLink: a personal inbox link's token.
	ViaInboxLink Via = "inbox_link"
)

// Caller is who acts: a person with groups, and the credential that showed
// it. The zero Caller is nobody and may do nothing that needs a person.
type Caller struct {
	// Person is the name tasks refer to (assignee, --as).
	Person string
	Groups []string
	// Admin: the person may act on any task, and for anyone.
	Admin bool
	// By is the caller's own person name when an admin acts for Person.
	By string

	Via Via
	// User is the OS login (or the uid as text when it has none) for
	// ViaOSUser; UID, GID and PID are the peer's, as the kernel saw them.
	User string
	UID  int
	GID  int
	PID  int
	// TokenID names the personal link for ViaInboxLink, the
	// control.tokens entry for ViaAPIToken (never the token).
	TokenID string
}

// Known reports whether the caller is a person at all.
func (c Caller) Known() bool { return c.Person != "" }

func (c Caller) String() string {
	var s string
	switch c.Via {
	case ViaOSUser:
		s = fmt.Sprintf("%s (OS user %s, uid %d)", c.Person, c.User, c.UID)
	case ViaInboxLink:
		s = fmt.Sprintf("%s (inbox link %s)", c.Person, c.TokenID)
	case ViaAPIToken:
		s = fmt.Sprintf("%s (API token %s)", c.Person, c.TokenID)
	default:
		s = c.Person
	}
	if c.By != "" {
		s += " on behalf, by " + c.By
	}
	return s
}

// Executor is how the caller is recorded on the events it causes: a human
// executor named after the person, with the credential in its metadata.
func (c Caller) Executor() execution.ExecutorInfo {
	md := map[string]any{"kind": "person", "via": string(c.Via)}
	switch c.Via {
	case ViaOSUser:
		md["os_user"] = c.User
		md["uid"] = c.UID
	case ViaInboxLink, ViaAPIToken:
		md["token_id"] = c.TokenID
	}
	if c.By != "" {
		md["on_behalf_by"] = c.By
	}
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: c.Person, Metadata: md}
}
