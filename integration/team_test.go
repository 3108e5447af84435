package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// teamFlow is two people's tasks side by side: one for mia, one for olga.
var teamFlow = map[string]string{"team.yaml": `kind: work_block
name: Mine
outputs: [{name: done}]
execution_hints: [human]
metadata: {assignee: mia}
---
kind: work_block
name: Theirs
outputs: [{name: done}]
execution_hints: [human]
metadata: {assignee: olga}
---
kind: flow
name: Team
nodes:
  - {alias: mine, block: Mine@1}
  - {alias: theirs, block: Theirs@1}
edges:
  - {to: mine}
  - {to: theirs}
`}

// TestTeamSharesOneDaemon (issue 14 #1): a socket group lets a teammate
// use the daemon as the person tasks.people names, and nobody else in.
// The member completes the task assigned to it and the event names its
// person; it cannot complete someone else's; a user outside the group
// cannot connect at all.
func TestTeamSharesOneDaemon(t *testing.T) {
	requireRoot(t)
	group := addGroup(t, "crew")
	member := addUser(t, "mia", group)
	outsider := addUser(t, "noah")
	e := newEnv(t, fmt.Sprintf(`
plugins:
  - name: manual
    hints: [human]
    max_concurrency: 10
control:
  socket: run/control.sock
  socket_group: %s
  socket_mode: 0660
tasks:
  people:
    - {os_user: %s, name: mia}
    - {os_user: %s, name: noah}
`, group, member.Username, outsider.Username), teamFlow, "manual")
	must(t, os.Chmod(e.dir, 0o755))
	must(t, os.Chmod(e.bin, 0o755)) // teammates run the same openoma-host
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sock := filepath.Join(e.dir, "run", "control.sock")
	d := serveWithUmask(t, e, sock, "022")

	checkMode(t, filepath.Join(e.dir, "run"), 0o750, group)
	checkMode(t, sock, 0o660, group)
	checkMode(t, filepath.Join(e.dir, "data"), 0o700, "")

	var started struct {
		ExecutionID string `json:"execution_id"`
	}
	if code := e.cliJSON(ctx, &started, "run", "Team", "--wait=false"); code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	var tasks []struct {
		ID       string `json:"id"`
		Block    string `json:"block"`
		Assignee string `json:"assignee"`
	}
	waitFor(t, "both tasks", 60*time.Second, func() bool {
		out, _, code := cliAs(ctx, t, e, member, "task", "list", "--json")
		return code == 0 && jsonInto(out, &tasks) && len(tasks) == 2
	})
	ids := map[string]string{}
	for _, tk := range tasks {
		ids[tk.Assignee] = tk.ID
	}

	if _, errOut, code := cliAs(ctx, t, e, member, "task", "complete", ids["olga"][:8], "--output", "done=yes"); code == 0 ||
		!strings.Contains(errOut, `assigned to "olga"; only olga or an admin`) {
		t.Errorf("the member completed olga's task, or the refusal does not say who may: exit %d\n%s", code, errOut)
	} else {
		t.Logf("member on olga's task: %s", strings.TrimSpace(errOut))
	}
	if out, errOut, code := cliAs(ctx, t, e, member, "task", "complete", ids["mia"][:8], "--output", "done=yes"); code != 0 {
		t.Fatalf("the member could not complete its own task: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := cliAs(ctx, t, e, outsider, "task", "list"); code == 0 ||
		!strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "members of group "+group) {
		t.Errorf("the outsider reached the daemon: exit %d\n%s%s", code, out, errOut)
	} else {
		t.Logf("outsider: %s", strings.TrimSpace(errOut))
	}

	// A member is not an admin: it may not issue inbox links.
	if _, errOut, code := cliAs(ctx, t, e, member, "inbox", "--for", "noah"); code == 0 || !strings.Contains(errOut, "only an admin may manage inbox links") {
		t.Errorf("a non-admin asked for a link: exit %d\n%s", code, errOut)
	}

	completedBy := map[string]execution.ExecutorInfo{}
	for _, ev := range e.events(ctx, started.ExecutionID) {
		if ev.EventType == execution.EventCompleted && ev.Executor != nil {
			completedBy[ev.ExecutionID.String()] = *ev.Executor
		}
	}
	x, ok := completedBy[ids["mia"]]
	if !ok || x.Type != execution.ExecutorHuman || x.Identifier != "mia" || x.Metadata["os_user"] != member.Username {
		t.Errorf("mia's task completed by %+v (ok=%v), want person mia, OS user %s", x, ok, member.Username)
	}
	if _, ok := completedBy[ids["olga"]]; ok {
		t.Errorf("olga's task was completed")
	}
	d.stop(t)

	// With no daemon, a member cannot open the data directory itself: it
	// is told so, rather than waiting or failing on a file it cannot read.
	if _, errOut, code := cliAs(ctx, t, e, member, "task", "list"); code == 0 || !strings.Contains(errOut, "only its owner can start one here") {
		t.Errorf("a member with no daemon: exit %d\n%s", code, errOut)
	}
}

// cliAs runs openoma-host as the OS user u; it returns stdout, stderr and
// the exit status.
func cliAs(ctx context.Context, t *testing.T, e *env, u *user.User, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), append([]string{"--config", e.config}, args...)...)
	asUser(t, cmd, u)
	cmd.Env = append(cmd.Env, "OPENOMA_LOG_LEVEL=warn")
	cmd.Dir = "/"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	}
	must(t, err)
	return out.String(), errb.String(), 0
}

// checkMode checks a path's permissions and (when group is set) group.
func checkMode(t *testing.T, path string, mode os.FileMode, group string) {
	t.Helper()
	st, err := os.Stat(path)
	must(t, err)
	if st.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), mode)
	}
	if group == "" {
		return
	}
	g, err := user.LookupGroup(group)
	must(t, err)
	if gid := strconv.Itoa(int(st.Sys().(*syscall.Stat_t).Gid)); gid != g.Gid {
		t.Errorf("%s: gid %s, want %s (%s)", path, gid, g.Gid, group)
	}
}

// jsonInto decodes out into v, reporting whether it could.
func jsonInto(out string, v any) bool { return json.Unmarshal([]byte(out), v) == nil }

// TestPersonalInboxLinks (issue 14 #2) on the real binaries: the owner
// issues a link for a person, the link signs in as that person, `inbox
// tokens` lists it, and after `inbox revoke` the open session is refused
// at its next request. Bad requests record nothing.
func TestPersonalInboxLinks(t *testing.T) {
	e := newEnv(t, `
inbox:
  address: 127.0.0.1:0
tasks:
  people:
    - {os_user: someone, name: mia}
`, map[string]string{})
	must(t, os.MkdirAll(filepath.Join(e.dir, "defs"), 0o755))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := e.serve()
	waitFor(t, "the inbox address", 30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(e.dir, "data", "inbox.url"))
		return err == nil
	})

	for _, bad := range [][]string{
		{"inbox", "--for", "zoe"},                // nobody of that name
		{"inbox", "--for", "mia", "--ttl", "0d"}, // no time at all
		{"inbox", "--ttl", "1h"},                 // --ttl without --for
		{"inbox", "revoke", "zoe"},               // nothing to revoke
	} {
		if out, code := e.cli(ctx, bad...); code == 0 {
			t.Errorf("openoma-host %s succeeded: %s", strings.Join(bad, " "), out)
		}
	}
	var none []any
	if code := e.cliJSON(ctx, &none, "inbox", "tokens"); code != 0 || len(none) != 0 {
		t.Fatalf("after bad requests: exit %d, links %v; want none recorded", code, none)
	}

	var issued struct {
		URL, ID, Person string
	}
	if code := e.cliJSON(ctx, &issued, "inbox", "--for", "mia", "--ttl", "2h"); code != 0 || issued.Person != "mia" {
		t.Fatalf("inbox --for mia: exit %d, %+v", code, issued)
	}
	browser := inboxClient()
	if resp := get(t, browser, issued.URL); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the link: %d, want a redirect that sets the session", resp.StatusCode)
	}
	base := issued.URL[:strings.Index(issued.URL, "?")]
	if resp := get(t, browser, base); resp.StatusCode != http.StatusOK || !strings.Contains(resp.body, "acting as mia") {
		t.Fatalf("signed in: %d\n%s", resp.StatusCode, resp.body)
	}
	var links []struct {
		ID, Person, State string
	}
	if code := e.cliJSON(ctx, &links, "inbox", "tokens"); code != 0 || len(links) != 1 || links[0].ID != issued.ID || links[0].State != "valid" {
		t.Fatalf("inbox tokens: exit %d, %+v", code, links)
	}
	if out, code := e.cli(ctx, "inbox", "revoke", "mia"); code != 0 || !strings.Contains(out, "revoked "+issued.ID) {
		t.Fatalf("inbox revoke: exit %d: %s", code, out)
	}
	if resp := get(t, browser, base); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.body, "revoked") {
		t.Fatalf("the open session after revoke: %d\n%s", resp.StatusCode, resp.body)
	}
	if raw, err := os.ReadFile(filepath.Join(e.dir, "data", "inbox-tokens.json")); err != nil || strings.Contains(string(raw), issued.URL[strings.Index(issued.URL, "=")+1:]) {
		t.Fatalf("token file: %v; the token itself must not be stored", err)
	}
	d.stop(t)
}

type page struct {
	StatusCode int
	body       string
}

func inboxClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, url string) page {
	t.Helper()
	resp, err := c.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return page{StatusCode: resp.StatusCode, body: string(b)}
}
