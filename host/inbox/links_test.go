package inbox

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
	"github.com/openoma/openoma/store/memory"
)

func person(name string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: name, Metadata: map[string]any{"kind": "person"}}
}

// linkFixture is an inbox with personal links for alice and bob, and a
// clock the test moves.
type linkFixture struct {
	*fixture
	tokens *Tokens
	mu     sync.Mutex
	now    time.Time
}

func newLinkFixture(t *testing.T) *linkFixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	svc := tasks.New(tasks.Options{Store: st, Config: config.Tasks{People: []config.Person{
		{OSUser: "alice", Name: "alice", Groups: []string{"reviewers"}},
		{OSUser: "bob", Name: "bob", Groups: []string{"ops"}},
	}}})
	lf := &linkFixture{tokens: OpenTokens(t.TempDir()), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	h := New(Options{Tasks: svc, Secret: secret, Owner: svc.People().OSUser(identity.OSUser{Login: "root"}),
		Tokens: lf.tokens, Now: lf.clock})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	lf.fixture = &fixture{t: t, st: st, srv: srv}
	lf.fixture.http = lf.client()
	return lf
}

func (lf *linkFixture) clock() time.Time {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.now
}

func (lf *linkFixture) advance(d time.Duration) {
	lf.mu.Lock()
	lf.now = lf.now.Add(d)
	lf.mu.Unlock()
}

// client is a browser of its own (its own cookie jar).
func (lf *linkFixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (lf *linkFixture) issue(who string, ttl time.Duration) (Token, string) {
	lf.t.Helper()
	tok, secretToken, err := lf.tokens.Issue(who, ttl, lf.clock())
	if err != nil {
		lf.t.Fatal(err)
	}
	return tok, secretToken
}

// as signs a fresh client in with a link and returns a fixture using it.
func (lf *linkFixture) as(token string) *fixture {
	lf.t.Helper()
	f := &fixture{t: lf.t, st: lf.st, srv: lf.srv, http: lf.client()}
	resp, _ := f.get("/?token=" + token)
	if resp.StatusCode != http.StatusSeeOther {
		lf.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return f
}

func TestPersonalLinkSignsInAsItsPerson(t *testing.T) {
	lf := newLinkFixture(t)
	forBob := lf.task(person("bob"))
	forAlice := lf.task(person("alice"))
	forReviewers := lf.task(group("reviewers"))
	anyone := lf.task(unassignedHolder())
	_, aliceToken := lf.issue("alice", time.Hour)
	alice := lf.as(aliceToken)

	_, body := alice.get("/")
	order := []string{forAlice.String(), forReviewers.String(), anyone.String(), forBob.String()}
	last := -1
	for _, id := range order {
		at := strings.Index(body, id)
		if at < last {
			t.Fatalf("alice's list is not hers, her group's, anyone's, then the rest (%v):\n%s", order, body)
		}
		last = at
	}
	if !strings.Contains(body, "acting as alice") {
		t.Errorf("the page does not say who is acting:\n%s", body)
	}

	// Bob's task: refused, nothing recorded; her own: recorded as alice via the link.
	if resp, _ := alice.post("/task/"+forBob.String()+"/complete", url.Values{"csrf": {alice.csrf(forBob)}, "out:verdict": {"approved"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("alice completing bob's task: %d", resp.StatusCode)
	}
	if n := lf.events(forBob); n != 4 {
		t.Fatalf("a refused completion appended %d events", n-4)
	}
	if resp, body := alice.post("/task/"+forAlice.String()+"/complete", url.Values{"csrf": {alice.csrf(forAlice)}, "out:verdict": {"approved"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice completing her task: %d\n%s", resp.StatusCode, body)
	}
	evs, _ := lf.st.Events(t.Context(), forAlice, 0)
	x := evs[len(evs)-1].Executor
	if evs[len(evs)-1].EventType != execution.EventCompleted || x.Identifier != "alice" || x.Metadata["via"] != "inbox_link" || x.Metadata["token_id"] == nil || x.Metadata["on_behalf_by"] != nil {
		t.Fatalf("completion recorded as %+v", x)
	}
}

func unassignedHolder() execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "unassigned", Metadata: map[string]any{"kind": "unassigned"}}
}

func TestRevokedOrExpiredLinkEndsItsSessions(t *testing.T) {
	lf := newLinkFixture(t)
	aliceLink, aliceToken := lf.issue("alice", time.Hour)
	_, bobToken := lf.issue("bob", 2*time.Hour)
	alice, bob := lf.as(aliceToken), lf.as(bobToken)

	if _, err := lf.tokens.Revoke(aliceLink.ID, lf.clock()); err != nil {
		t.Fatal(err)
	}
	if resp, body := alice.get("/"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "is revoked") {
		t.Fatalf("alice's open session after revoke: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := lf.as2(aliceToken); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "is revoked") {
		t.Fatalf("alice's revoked link: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := bob.get("/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("bob's session ended with alice's link: %d", resp.StatusCode)
	}
	lf.advance(2 * time.Hour)
	if resp, body := bob.get("/"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "is expired") {
		t.Fatalf("bob's session after expiry: %d\n%s", resp.StatusCode, body)
	}
}

// as2 tries a sign-in and returns the answer.
func (lf *linkFixture) as2(token string) (*http.Response, string) {
	f := &fixture{t: lf.t, st: lf.st, srv: lf.srv, http: lf.client()}
	return f.get("/?token=" + token)
}

func TestForgedLinksAndSessions(t *testing.T) {
	lf := newLinkFixture(t)
	aliceLink, _ := lf.issue("alice", time.Hour)
	bobLink, bobToken := lf.issue("bob", time.Hour)
	bob := lf.as(bobToken)

	// A cookie naming alice's link with bob's signature is no session.
	u, _ := url.Parse(lf.srv.URL)
	var value string
	for _, c := range bob.http.Jar.Cookies(u) {
		value = c.Value
	}
	forged := strings.Replace(value, "."+bobLink.ID+".", "."+aliceLink.ID+".", 1)
	bob.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: forged}})
	if resp, _ := bob.get("/"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", resp.StatusCode)
	}

	// Wrong tokens: refused, and after five a minute every sign-in waits.
	for i := range maxFails {
		if resp, _ := lf.as2("forged-token-" + string(rune('a'+i))); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("wrong token %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := lf.as2(bobToken); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in after %d failures: %d, want 429 with Retry-After", maxFails, resp.StatusCode)
	}
	lf.advance(failWindow)
	if resp, _ := lf.as2(bobToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in once the failures aged: %d", resp.StatusCode)
	}
}

func TestTokensFile(t *testing.T) {
	dir := t.TempDir()
	s := OpenTokens(dir)
	now := time.Now()
	a, tokA, err := s.Issue("alice", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Issue("alice", time.Hour, now); err != nil {
		t.Fatal(err)
	}
	// Another process's view (the daemon) sees the CLI's writes.
	daemon := OpenTokens(dir)
	if got, ok, err := daemon.Lookup(tokA); err != nil || !ok || got.ID != a.ID {
		t.Fatalf("Lookup = %+v %v %v", got, ok, err)
	}
	raw, _ := readFileString(dir + "/" + TokensFile)
	if strings.Contains(raw, tokA) {
		t.Fatal("the token itself is stored")
	}
	revoked, err := s.Revoke("alice", now)
	if err != nil || len(revoked) != 2 {
		t.Fatalf("revoke alice: %d, %v", len(revoked), err)
	}
	if got, _, _ := daemon.ByID(a.ID); got.Valid(now) || got.State(now) != "revoked" {
		t.Fatalf("after revoke the daemon sees %+v", got)
	}
	if _, err := s.Revoke("carol", now); err == nil {
		t.Fatal("revoking nobody's links succeeded")
	}
}

func readFileString(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
