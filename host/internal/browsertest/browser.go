// Package browsertest drives a real headless Chromium through the Chrome
// DevTools protocol (over its websocket, with a few dozen lines of client
// instead of a browser-automation dependency), for tests of what only a
// browser shows: cookies and redirects, the CSP, forms, and pixels. The
// inbox and the execution console test with it.
package browsertest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
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
)

// chromiumPath finds the browser: $OPENOMA_CHROMIUM, else chromium on PATH
// (Debian's package installs /usr/bin/chromium).
func chromiumPath(t testing.TB) string {
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
type Browser struct {
	t      testing.TB
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

func Start(t testing.TB) *Browser {
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
	b := &Browser{t: t, ws: ws, calls: map[int]chan cdpReply{}}
	go b.read()
	return b
}

func (b *Browser) read() {
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
func (b *Browser) Call(method string, params any) json.RawMessage {
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
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	raw := b.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
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
func (b *Browser) Until(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		b.Eval("(function(){try{return !!("+expr+")}catch(e){return false}})()", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var page string
			b.Eval("location.href + '\\n' + (document.body ? document.body.innerText : '')", &page)
			b.t.Fatalf("waiting for %s: timed out; page:\n%s", what, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Call("Page.navigate", map[string]any{"url": url})
}

// text returns the page's visible text.
func (b *Browser) Text() string {
	var s string
	b.Eval("document.body.innerText", &s)
	return s
}

// Screenshot captures the page as PNG; when $OPENOMA_SCREENSHOT_DIR is set
// it also saves it there as name.png, for people looking at the pages.
func (b *Browser) Screenshot(name string) []byte {
	b.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(b.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}), &r); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if dir := os.Getenv("OPENOMA_SCREENSHOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			b.t.Logf("screenshot %s: %v", name, err)
		}
	}
	return png
}
