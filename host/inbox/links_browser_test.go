package inbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/internal/browsertest"
)

// TestPersonalLinksInChromium: two people, each with a personal link in a
// browser profile of their own. Each sees their own task first; a
// completion is recorded as the person of the browser that made it; after
// one link is revoked, that profile's next page is refused while the other
// carries on.
func TestPersonalLinksInChromium(t *testing.T) {
	lf := newLinkFixture(t)
	forAlice := lf.task(person("alice"))
	forBob := lf.task(person("bob"))
	_, aliceToken := lf.issue("alice", time.Hour)
	bobLink, bobToken := lf.issue("bob", time.Hour)
	alice, bob := browsertest.Start(t), browsertest.Start(t)

	for _, p := range []struct {
		who   string
		b     *browsertest.Browser
		token string
		first string
	}{{"alice", alice, aliceToken, forAlice.String()}, {"bob", bob, bobToken, forBob.String()}} {
		p.b.Navigate(lf.srv.URL + "/?token=" + p.token)
		p.b.Until(p.who+"'s task list", `location.pathname == "/" && location.search == "" && document.querySelector("tbody tr a")`)
		var first, me string
		p.b.Eval(`document.querySelector("tbody tr a").getAttribute("href")`, &first)
		p.b.Eval(`document.querySelector(".me").innerText`, &me)
		if first != "/task/"+p.first || me != "acting as "+p.who {
			t.Errorf("%s's browser: first task %q, header %q; want /task/%s and acting as %s", p.who, first, me, p.first, p.who)
		}
		p.b.Screenshot("inbox-link-" + p.who)
	}

	// Bob completes his task from his browser: recorded as bob.
	bob.Navigate(lf.srv.URL + "/task/" + forBob.String())
	bob.Until("bob's task page", `document.querySelector("form#complete")`)
	bob.Eval(`document.querySelector('select[name="out:verdict"]').value = "approved";
		document.querySelector("#complete button[type=submit]").click()`, nil)
	bob.Until("the list after completing", `location.pathname == "/" && document.body.innerText.includes("recorded")`)
	evs, _ := lf.st.Events(context.Background(), forBob, 0)
	last := evs[len(evs)-1]
	if last.EventType != execution.EventCompleted || last.Executor.Identifier != "bob" || last.Executor.Metadata["token_id"] != bobLink.ID {
		t.Fatalf("bob's completion recorded as %s by %+v", last.EventType, last.Executor)
	}

	// Revoke bob's link: his next page is refused; alice's is not.
	if _, err := lf.tokens.Revoke("bob", lf.clock()); err != nil {
		t.Fatal(err)
	}
	bob.Navigate(lf.srv.URL + "/")
	bob.Until("the refusal", `document.body && document.body.innerText.includes("revoked")`)
	if txt := bob.Text(); strings.Contains(txt, "Open tasks") {
		t.Fatalf("a revoked link still shows the tasks:\n%s", txt)
	}
	alice.Navigate(lf.srv.URL + "/")
	alice.Until("alice's list", `document.querySelector("tbody tr a")`)
}
