package inbox

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/openoma/openoma/execution"
)

// This file drives a real headless Chromium through the Chrome DevTools
// protocol (over its websocket, with a few dozen lines of client instead of
// a browser-automation dependency) to check what only a browser shows: the
// token link sets the cookie and redirects, the stylesheet passes the CSP,
// the form posts (with the browser's own Origin and Sec-Fetch-Site) complete
// the task or show the problems, and a form on another site cannot complete
// a task even when a person clicks it.

// chromiumPath finds the browser: $OPENOMA_CHROMIUM, else chromium on PATH
// (Debian's package installs /usr/bin/chromium).
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("OPENOMA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser test skipped: no chromium found (install Debian's chromium package: apt-get install -y chromium, or set OPENOMA_CHROMIUM)")
	return ""
}

// browser is a headless Chromium with one page under DevTools control.
type browser struct {
	t      *testing.T
	ws     *websocket.Conn
	mu     sync.Mutex
	nextID int
	calls  map[int]chan cdpReply
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

var devtoolsURL = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
		"--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir="+profile, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the browser and its helpers
		_ = cmd.Wait()
		cancel()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsURL.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not report its DevTools address within 60s")
	}
	// The page target's socket: /json/list on the same host:port.
	hostport := strings.TrimPrefix(browserWS, "ws://")
	hostport = hostport[:strings.IndexByte(hostport, '/')]
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + hostport + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets) > 0 && targets[0].Type == "page" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page target in chromium: %v %+v", err, targets)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ws, err := websocket.Dial(targets[0].WS, "", "http://"+hostport)
	if err != nil {
		t.Fatalf("devtools websocket: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	b := &browser{t: t, ws: ws, calls: map[int]chan cdpReply{}}
	go b.read()
	return b
}

func (b *browser) read() {
	for {
		var msg string
		if err := websocket.Message.Receive(b.ws, &msg); err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal([]byte(msg), &m) != nil || m.ID == 0 {
			continue // an event; the test polls instead
		}
		b.mu.Lock()
		ch := b.calls[m.ID]
		delete(b.calls, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends one DevTools command and returns its result.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.calls[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := websocket.Message.Send(b.ws, string(msg)); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			b.t.Fatalf("%s: %s", method, r.Error.Message)
		}
		return r.Result
	case <-time.After(30 * time.Second):
		b.t.Fatalf("%s: no answer in 30s", method)
	}
	return nil
}

// eval evaluates a JavaScript expression in the page (DevTools' own
// evaluation, which the page's CSP does not govern) and decodes its value.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	raw := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.t.Fatal(err)
	}
	if r.Exception != nil {
		b.t.Fatalf("evaluate %s: %s", expr, r.Exception.Text)
	}
	if out != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			b.t.Fatalf("evaluate %s: %v", expr, err)
		}
	}
}

// until polls a boolean expression until it holds.
func (b *browser) until(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		b.eval("(function(){try{return !!("+expr+")}catch(e){return false}})()", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var page string
			b.eval("location.href + '\\n' + (document.body ? document.body.innerText : '')", &page)
			b.t.Fatalf("waiting for %s: timed out; page:\n%s", what, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url})
}

// text returns the page's visible text.
func (b *browser) text() string {
	var s string
	b.eval("document.body.innerText", &s)
	return s
}

// screenshot saves a PNG when $OPENOMA_SCREENSHOT_DIR is set, for people
// looking at the inbox.
func (b *browser) screenshot(name string) {
	dir := os.Getenv("OPENOMA_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var r struct {
		Data string `json:"data"`
	}
	_ = json.Unmarshal(b.call("Page.captureScreenshot", map[string]any{"format": "png"}), &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestInboxInChromium(t *testing.T) {
	f := newFixture(t)
	id := f.task(group("reviewers"))
	b := startBrowser(t)

	// The link with the token: cookie set, redirected to the list without it.
	b.navigate(f.srv.URL + "/?token=" + secret)
	b.until("the task list", `location.pathname == "/" && location.search == "" && document.body.innerText.includes("Code Review")`)
	var cookieVisible bool
	b.eval(`document.cookie.includes("openoma_inbox")`, &cookieVisible)
	if cookieVisible {
		t.Error("the session cookie is readable from the page; want HttpOnly")
	}
	b.until("the stylesheet", `document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0`)
	var bg string
	b.eval(`getComputedStyle(document.querySelector("header")).backgroundColor`, &bg)
	if bg != "rgb(36, 41, 47)" {
		t.Errorf("header background %q: the stylesheet did not apply under the CSP", bg)
	}
	b.screenshot("inbox-list")

	// Open the task and post the form empty: the problems come back.
	b.eval(`document.querySelector('a[href^="/task/"]').click()`, nil)
	b.until("the task page", `location.pathname.startsWith("/task/") && document.querySelector("form#complete")`)
	b.eval(`document.querySelector("#complete button[type=submit]").click()`, nil)
	b.until("the problems", `document.querySelector("#problems")`)
	if txt := b.text(); !strings.Contains(txt, `required output "verdict" is missing`) {
		t.Fatalf("problems not shown:\n%s", txt)
	}
	if n := f.events(id); n != 4 {
		t.Fatalf("a refused completion appended %d events", n-4)
	}
	b.screenshot("inbox-task-refused")

	// Fill it in and post: done, back on the list.
	b.eval(`document.querySelector('select[name="out:verdict"]').value = "approved";
		document.querySelector('textarea[name="out:comments"]').value = "LGTM from Chromium";
		document.querySelector("#complete button[type=submit]").click()`, nil)
	b.until("the list after completing", `location.pathname == "/" && document.body.innerText.includes("recorded")`)
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
	b.navigate(evilURL)
	b.until("the other site's page", `location.hostname == "localhost" && document.querySelector("button")`)
	b.eval(`document.querySelector("button").click()`, nil)
	b.until("the post to land", `location.hostname == "127.0.0.1"`)
	b.until("the refusal page", `document.body && document.body.innerText.length > 0`)
	if txt := b.text(); !strings.Contains(txt, "Sign in") && !strings.Contains(txt, "Refused") {
		t.Errorf("cross-site post answered:\n%s", txt)
	}
	if n := f.events(victim); n != 4 {
		t.Fatalf("a cross-site post appended %d events", n-4)
	}
}
