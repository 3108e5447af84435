package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/internal/browsertest"
)

// This file drives a real headless Chromium (host/internal/browsertest) to
// check what only a browser shows: the token link sets the cookie and redirects, the stylesheet passes the CSP,
// the form posts (with the browser's own Origin and Sec-Fetch-Site) complete
// the task or show the problems, and a form on another site cannot complete
// a task even when a person clicks it.

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestInboxInChromium(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"))
	b := browsertest.Start(t)

	// The link with the token: cookie set, redirected to the list without it.
	b.Navigate(f.srv.URL + "/?token=" + secret)
	b.Until("the task list", `location.pathname == "/" && location.search == "" && document.body.innerText.includes("Code Review")`)
	var cookieVisible bool
	b.Eval(`document.cookie.includes("openoma_inbox")`, &cookieVisible)
	if cookieVisible {
		t.Error("the session cookie is readable from the page; want HttpOnly")
	}
	b.Until("the stylesheet", `document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0`)
	var bg string
	b.Eval(`getComputedStyle(document.querySelector("header")).backgroundColor`, &bg)
	if bg != "rgb(36, 41, 47)" {
		t.Errorf("header background %q: the stylesheet did not apply under the CSP", bg)
	}
	b.Screenshot("inbox-list")

	// Open the task and post the form empty: the problems come back.
	b.Eval(`document.querySelector('a[href^="/task/"]').click()`, nil)
	b.Until("the task page", `location.pathname.startsWith("/task/") && document.querySelector("form#complete")`)
	b.Eval(`document.querySelector("#complete button[type=submit]").click()`, nil)
	b.Until("the problems", `document.querySelector("#problems")`)
	if txt := b.Text(); !strings.Contains(txt, `required output "verdict" is missing`) {
		t.Fatalf("problems not shown:\n%s", txt)
	}
	if n := f.events(id); n != 4 {
		t.Fatalf("a refused completion appended %d events", n-4)
	}
	b.Screenshot("inbox-task-refused")

	// Fill it in and post: done, back on the list.
	b.Eval(`document.querySelector('select[name="out:verdict"]').value = "approved";
		document.querySelector('textarea[name="out:comments"]').value = "LGTM from Chromium";
		document.querySelector("#complete button[type=submit]").click()`, nil)
	b.Until("the list after completing", `location.pathname == "/" && document.body.innerText.includes("recorded")`)
	evs, _ := f.st.Events(context.Background(), id, 0)
	last := evs[len(evs)-1]
	if last.EventType != execution.EventCompleted || last.Executor.Identifier != "alice" {
		t.Fatalf("after the browser's post: last event %s by %+v", last.EventType, last.Executor)
	}
	var out execution.Outcome
	_ = evs[len(evs)-2].DecodePayload(&out)
	if out["verdict"] != "approved" || out["comments"] != "LGTM from Chromium" {
		t.Fatalf("outputs %v", out)
	}

	// Another site's form, clicked by the person: refused, nothing recorded.
	victim := f.task(group("reviewers"))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		target := f.srv.URL + "/task/" + victim.String() + "/complete"
		fmt.Fprintf(w, `<!doctype html><form method="post" action=%s><input name="out:verdict" value="approved"><input name="csrf" value="guess"><button>Win a prize</button></form>`, js(target))
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site than 127.0.0.1
	b.Navigate(evilURL)
	b.Until("the other site's page", `location.hostname == "localhost" && document.querySelector("button")`)
	b.Eval(`document.querySelector("button").click()`, nil)
	b.Until("the post to land", `location.hostname == "127.0.0.1"`)
	b.Until("the refusal page", `document.body && document.body.innerText.length > 0`)
	if txt := b.Text(); !strings.Contains(txt, "Sign in") && !strings.Contains(txt, "Refused") {
		t.Errorf("cross-site post answered:\n%s", txt)
	}
	if n := f.events(victim); n != 4 {
		t.Fatalf("a cross-site post appended %d events", n-4)
	}
}
