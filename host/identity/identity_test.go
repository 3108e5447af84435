package identity

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/openoma/openoma/host/config"
)

func testDirectory() *Directory {
	return NewDirectory(config.Tasks{
		People: []config.Person{
			{OSUser: "alice", Name: "Alice", Groups: []string{"reviewers"}},
			{OSUser: "1005", Name: "dave", Groups: []string{"ops"}},
			{OSUser: "carol"},
		},
		Admins: []string{"carol"},
	})
}

func TestOSUserMapsToAPerson(t *testing.T) {
	d := testDirectory()
	tests := []struct {
		name   string
		user   OSUser
		person string
		groups []string
		admin  bool
	}{
		{"listed by login", OSUser{UID: 1001, Login: "alice"}, "Alice", []string{"reviewers"}, false},
		{"listed by uid", OSUser{UID: 1005, Login: "1005"}, "dave", []string{"ops"}, false},
		{"listed without a name: named after the login", OSUser{UID: 1003, Login: "carol"}, "carol", nil, true},
		{"not listed: named after the login, no group", OSUser{UID: 1666, Login: "mallory"}, "mallory", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.OSUser(tt.user)
			if c.Person != tt.person || strings.Join(c.Groups, ",") != strings.Join(tt.groups, ",") || c.Admin != tt.admin {
				t.Fatalf("caller %+v, want %s %v admin=%v", c, tt.person, tt.groups, tt.admin)
			}
			if c.Via != ViaOSUser || c.User != tt.user.Login || c.UID != tt.user.UID {
				t.Fatalf("credential %+v", c)
			}
			ex := c.Executor()
			if ex.Identifier != tt.person || ex.Metadata["os_user"] != tt.user.Login || ex.Metadata["uid"] != tt.user.UID {
				t.Fatalf("executor %+v", ex)
			}
		})
	}
}

func TestActAs(t *testing.T) {
	d := testDirectory()
	alice := d.OSUser(OSUser{UID: 1001, Login: "alice"})
	carol := d.OSUser(OSUser{UID: 1003, Login: "carol"})
	tests := []struct {
		name    string
		caller  Caller
		as      string
		want    string
		groups  string
		by      string
		wantErr string
	}{
		{"oneself by default", alice, "", "Alice", "reviewers", "", ""},
		{"oneself by name", alice, " Alice ", "Alice", "reviewers", "", ""},
		{"admin for a listed person", carol, "dave", "dave", "ops", "carol", ""},
		{"admin for an unlisted name", carol, "zoe", "zoe", "", "carol", ""},
		{"non-admin for someone", alice, "dave", "", "", "", `OS user alice is "Alice" and may not act as "dave": only an admin (carol) may`},
		{"nobody", Caller{}, "", "", "", "", "identity is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.ActAs(tt.caller, tt.as)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want denial with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Person != tt.want || strings.Join(got.Groups, ",") != tt.groups || got.By != tt.by {
				t.Fatalf("acting %+v", got)
			}
			if tt.by != "" && got.Executor().Metadata["on_behalf_by"] != tt.by {
				t.Fatalf("executor %+v lacks on_behalf_by", got.Executor())
			}
		})
	}
}

func TestPersonByName(t *testing.T) {
	d := testDirectory()
	c, err := d.Person("dave", ViaInboxLink, "tok1")
	if err != nil || c.Person != "dave" || c.TokenID != "tok1" || c.Executor().Metadata["token_id"] != "tok1" {
		t.Fatalf("Person(dave) = %+v, %v", c, err)
	}
	if _, err := d.Person("zoe", ViaInboxLink, ""); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "Alice, carol, dave") {
		t.Fatalf("Person(zoe): %v", err)
	}
}

func TestInGroup(t *testing.T) {
	me := LookupOSUser(os.Geteuid(), os.Getegid(), os.Getpid())
	if ok, err := InGroup(me, Group{GID: os.Getegid()}); err != nil || !ok {
		t.Fatalf("own gid: %v, %v", ok, err)
	}
	if ok, err := InGroup(OSUser{UID: 54321, GID: 54321}, Group{GID: os.Getegid() + 777}); err != nil || ok {
		t.Fatalf("a uid with no passwd entry is in no other group: %v, %v", ok, err)
	}
}
