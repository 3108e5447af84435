package plugins

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"
)

// A plugin that cannot start usually says why on stderr and exits before
// the handshake ("bad fixtures: open …: no such file or directory").
// go-plugin logs those lines at DEBUG and reports only that the handshake
// failed, so the host keeps the last few lines itself and puts them in the
// start error.
const (
	tailLines    = 8
	tailLineMax  = 512
	tailWaitExit = time.Second // for the rest of stderr once the process has exited
)

// stderrTail is the plugin's stderr as go-plugin reads it, keeping the last
// tailLines lines. done is closed when the stream ends (the process exited
// and its stderr was read to the end).
type stderrTail struct {
	r    io.ReadCloser
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	lines   []string
	partial []byte
}

func newStderrTail(r io.ReadCloser) *stderrTail {
	return &stderrTail{r: r, done: make(chan struct{})}
}

func (t *stderrTail) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.add(p[:n])
	}
	if err != nil {
		t.once.Do(func() { close(t.done) })
	}
	return n, err
}

func (t *stderrTail) Close() error { return t.r.Close() }

func (t *stderrTail) add(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if room := tailLineMax - len(t.partial); room > 0 {
				t.partial = append(t.partial, b[:min(room, len(b))]...)
			}
			return
		}
		if room := tailLineMax - len(t.partial); room > 0 {
			t.partial = append(t.partial, b[:min(room, i)]...)
		}
		t.push(string(t.partial))
		t.partial = t.partial[:0]
		b = b[i+1:]
	}
}

func (t *stderrTail) push(line string) {
	line = readableLine(strings.TrimSpace(line))
	if line == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > tailLines {
		t.lines = t.lines[len(t.lines)-tailLines:]
	}
}

// last returns the kept lines, waiting up to wait for the stream to end
// first: when the handshake fails because the process exited, go-plugin
// may not have read all it wrote yet.
func (t *stderrTail) last(wait time.Duration) []string {
	timer := time.NewTimer(wait)
	select {
	case <-t.done:
	case <-timer.C:
	}
	timer.Stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if len(t.partial) > 0 {
		if l := readableLine(strings.TrimSpace(string(t.partial))); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readableLine turns one of the sdk logger's JSON lines into "message:
// error"; any other line is kept as it is.
func readableLine(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	var entry map[string]any
	if json.Unmarshal([]byte(line), &entry) != nil {
		return line
	}
	msg, _ := entry["@message"].(string)
	if msg == "" {
		return line
	}
	if e, ok := entry["error"].(string); ok && e != "" {
		msg += ": " + e
	}
	return msg
}
