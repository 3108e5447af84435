package inbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
	"github.com/openoma/openoma/store/memory"
)

// The execution console shows every run's data: the owner's link and
// admins' links reach it, other people's links are refused.
func TestConsoleIsForTheOwnerAndAdmins(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	svc := tasks.New(tasks.Options{Store: st, Config: config.Tasks{
		People: []config.Person{{OSUser: "alice", Name: "alice"}, {OSUser: "ann", Name: "ann"}},
		Admins: []string{"ann"},
	}})
	tokens := OpenTokens(t.TempDir())
	console := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("the console")) })
	srv := httptest.NewServer(New(Options{Tasks: svc, Secret: secret, Owner: svc.People().OSUser(identity.OSUser{Login: "root"}),
		Tokens: tokens, Console: console}))
	t.Cleanup(srv.Close)
	lf := &linkFixture{tokens: tokens, now: time.Now()}
	lf.fixture = &fixture{t: t, st: st, srv: srv}
	lf.fixture.http = lf.client()

	_, aliceToken := lf.issue("alice", time.Hour)
	_, annToken := lf.issue("ann", time.Hour)
	for _, tt := range []struct {
		who, token string
		want       int
	}{
		{"the owner", secret, http.StatusOK},
		{"an admin's link", annToken, http.StatusOK},
		{"alice's link", aliceToken, http.StatusForbidden},
	} {
		f := lf.as(tt.token)
		resp, body := f.get("/executions")
		if resp.StatusCode != tt.want {
			t.Errorf("%s: /executions answered %d, want %d", tt.who, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusForbidden && (strings.Contains(body, "the console") || !strings.Contains(body, "owner and to admins")) {
			t.Errorf("%s: the refusal does not say who may:\n%s", tt.who, body)
		}
	}
}
