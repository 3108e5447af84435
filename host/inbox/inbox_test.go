package inbox

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/tasks"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

const secret = "0123456789abcdef0123456789abcdef0123456789abcdef"

type fixture struct {
	t    *testing.T
	st   store.EventStore
	srv  *httptest.Server
	http *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	svc := tasks.New(tasks.Options{Store: st, Config: config.Tasks{
		People: []config.Person{{OSUser: "alice", Name: "alice", Groups: []string{"reviewers"}}},
	}})
	h := New(Options{Tasks: svc, Secret: secret, Owner: svc.People().OSUser(identity.OSUser{Login: "alice", UID: 1001})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &fixture{t: t, st: st, srv: srv, http: c}
}

// task records a pending task as the manual plugin does.
func (f *fixture) task(holder execution.ExecutorInfo) uuid.UUID {
	f.t.Helper()
	id := uuid.New()
	sys := &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test"}
	for _, step := range []struct {
		typ     execution.EventType
		x       *execution.ExecutorInfo
		payload any
	}{
		{execution.EventCreated, sys, execution.Created{Kind: execution.KindBlock, FlowExecutionID: uuid.New(), NodeReferenceID: uuid.New(),
			WorkBlockID: uuid.New(), WorkBlockVersion: 1, Inputs: map[string]any{"pull_request_url": "https://example.invalid/pr/1"}}},
		{execution.EventExecutorAssigned, &holder, nil},
		{execution.EventStarted, sys, nil},
		{execution.EventProgress, sys, tasks.TaskPayload{Type: tasks.ProgressTask, Title: "Code Review", BlockName: "Code Review", BlockVersion: 1,
			Outputs: []tasks.Port{
				{Name: "verdict", Required: true, Schema: map[string]any{"type": "string", "enum": []any{"approved", "rejected"}}},
				{Name: "comments", Required: false},
			}}},
	} {
		ev, err := execution.NewEvent(id, step.typ, step.x, step.payload)
		if err != nil {
			f.t.Fatal(err)
		}
		if _, err := f.st.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{}); err != nil {
			f.t.Fatal(err)
		}
	}
	return id
}

func group(g string) execution.ExecutorInfo {
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "group:" + g, Metadata: map[string]any{"kind": "group", "groups": []any{g}}}
}

func (f *fixture) get(path string) (*http.Response, string) {
	f.t.Helper()
	resp, err := f.http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (f *fixture) login() {
	f.t.Helper()
	resp, _ := f.get("/?token=" + secret)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		f.t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (f *fixture) post(path string, form url.Values, headers map[string]string) (*http.Response, string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (f *fixture) csrf(id uuid.UUID) string {
	f.t.Helper()
	_, body := f.get("/task/" + id.String())
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no CSRF field in the task page:\n%s", body)
	}
	return m[1]
}

func (f *fixture) events(id uuid.UUID) int {
	evs, _ := f.st.Events(context.Background(), id, 0)
	return len(evs)
}

func TestAccessNeedsTheSecret(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		path   string
		status int
	}{
		{"no session", "/", http.StatusUnauthorized},
		{"no session, task page", "/task/" + uuid.NewString(), http.StatusUnauthorized},
		{"wrong token", "/?token=nope", http.StatusForbidden},
		{"token of the wrong length", "/?token=" + secret + "0", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := f.get(tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") || !strings.Contains(got, "form-action 'self'") {
				t.Errorf("CSP %q", got)
			}
		})
	}
	// A forged cookie is no session.
	u, _ := url.Parse(f.srv.URL)
	f.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: "abc.def"}})
	if resp, _ := f.get("/"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", resp.StatusCode)
	}
	resp, _ := f.get("/task/x?token=" + secret)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/task/x" {
		t.Fatalf("login redirect %d %q, want to the page without the token", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v, want HttpOnly SameSite=Strict", c)
	}
	if resp, body := f.get("/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "No open tasks") {
		t.Fatalf("after login: %d\n%s", resp.StatusCode, body)
	}
}

func TestOnlyLoopbackHosts(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/?token="+secret, nil)
	req.Host = "evil.example:80"
	resp, err := f.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("Host evil.example: %d", resp.StatusCode)
	}
}

func TestFormPostsAreCSRFSafe(t *testing.T) {
	good := url.Values{"out:verdict": {"approved"}}
	cases := []struct {
		name    string
		csrf    func(real string) string
		headers map[string]string
	}{
		{"no token", func(string) string { return "" }, nil},
		{"wrong token", func(string) string { return "forged" }, nil},
		{"cross-site fetch", func(r string) string { return r }, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", func(r string) string { return r }, map[string]string{"Origin": "http://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.task(group("reviewers"))
			f.login()
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			if c := tc.csrf(f.csrf(id)); c != "" {
				form.Set("csrf", c)
			}
			resp, _ := f.post("/task/"+id.String()+"/complete", form, tc.headers)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
			if n := f.events(id); n != 4 {
				t.Fatalf("a refused post appended %d events", n-4)
			}
		})
	}
}

func TestCompleteThroughTheForm(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"))
	f.login()
	_, list := f.get("/")
	if !strings.Contains(list, "Code Review") || !strings.Contains(list, id.String()[:8]) {
		t.Fatalf("list:\n%s", list)
	}
	csrf := f.csrf(id)
	same := map[string]string{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"}

	// A bad value: the form comes back with what is wrong and the typed values.
	resp, body := f.post("/task/"+id.String()+"/complete", url.Values{"csrf": {csrf}, "out:comments": {"<b>nice</b>"}}, same)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `required output &#34;verdict&#34; is missing`) ||
		!strings.Contains(body, "&lt;b&gt;nice&lt;/b&gt;</textarea>") {
		t.Fatalf("bad post: %d\n%s", resp.StatusCode, body)
	}
	if n := f.events(id); n != 4 {
		t.Fatalf("a refused completion appended %d events", n-4)
	}
	resp, body = f.post("/task/"+id.String()+"/complete", url.Values{"csrf": {csrf}, "out:verdict": {"maybe"}}, same)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), `output "verdict" = "maybe" does not match its schema`) {
		t.Fatalf("schema violation: %d\n%s", resp.StatusCode, body)
	}

	resp, _ = f.post("/task/"+id.String()+"/complete", url.Values{"csrf": {csrf}, "out:verdict": {"approved"}, "out:comments": {"LGTM"}}, same)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good post: %d", resp.StatusCode)
	}
	evs, _ := f.st.Events(context.Background(), id, 0)
	last := evs[len(evs)-1]
	if last.EventType != execution.EventCompleted || last.Executor.Identifier != "alice" || last.Executor.Metadata["os_user"] != "alice" {
		t.Fatalf("last event %+v", last)
	}
	_, list = f.get(resp.Header.Get("Location"))
	if !strings.Contains(list, "recorded") || strings.Contains(list, "Code Review") {
		t.Fatalf("list after completion:\n%s", list)
	}
}

func TestTheInboxObeysWhoMayAct(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("leads")) // alice is no lead
	f.login()
	resp, body := f.post("/task/"+id.String()+"/complete", url.Values{"csrf": {f.csrf(id)}, "out:verdict": {"approved"}}, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "a member of leads") {
		t.Fatalf("denied: %d\n%s", resp.StatusCode, body)
	}
	if n := f.events(id); n != 4 {
		t.Fatalf("a denied completion appended %d events", n-4)
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	s1, err := EnsureSecret(dir)
	if err != nil || len(s1) != 64 {
		t.Fatalf("secret %q %v", s1, err)
	}
	st, _ := os.Stat(filepath.Join(dir, SecretFile))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if s2, _ := EnsureSecret(dir); s2 != s1 {
		t.Fatal("the secret changed on the second call")
	}
	if _, err := LoginURL(dir); err == nil || !strings.Contains(err.Error(), "inbox.address") {
		t.Fatalf("LoginURL without a daemon: %v", err)
	}
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	must(t, PublishAddress(dir, l.Addr()))
	u, err := LoginURL(dir)
	if err != nil || u != "http://"+l.Addr().String()+"/?token="+s1 {
		t.Fatalf("url %q %v", u, err)
	}
	must(t, os.Chmod(filepath.Join(dir, SecretFile), 0o644))
	if _, err := EnsureSecret(dir); err == nil || !strings.Contains(err.Error(), "others may read it") {
		t.Fatalf("world-readable secret: %v", err)
	}
	if _, err := Listen("0.0.0.0:0"); err == nil {
		t.Fatal("listening on all interfaces was allowed")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
