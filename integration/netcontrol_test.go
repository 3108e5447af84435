package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

// remote is the CLI on another machine: another working directory, no
// config and no data directory, reaching the daemon only through
// --address with a token.
type remote struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

// cli runs openoma-host there and returns stdout, stderr and the exit
// status.
func (r *remote) cli(ctx context.Context, args ...string) (string, string, int) {
	r.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(r.bin, "openoma-host"), args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), append([]string{"OPENOMA_CONFIG=", "OPENOMA_LOG_LEVEL=warn"}, r.env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("openoma-host %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

func (r *remote) json(ctx context.Context, v any, args ...string) {
	r.t.Helper()
	out, stderr, code := r.cli(ctx, append(args, "--json")...)
	if code != 0 {
		r.t.Fatalf("remote openoma-host %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		r.t.Fatalf("remote openoma-host %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestNetworkControlAPI runs a daemon with control.address and two
// tokens and drives it from another directory with --address: run,
// status, events --follow, the task verbs (as the token's person) and
// cancel; a wrong token and a wrong pin are refused with reasons; the
// socket serves on as before.
func TestNetworkControlAPI(t *testing.T) {
	addr := freePortAddr(t)
	e := newEnv(t, `
plugins:
  - name: shell
    hints: [shell]
  - name: manual
    hints: [review]
    max_concurrency: 1000
engine:
  call_timeout: 5s
  restart_backoff: 10ms
routing:
  conditions_plugin: manual
tasks:
  people:
    - {os_user: nobody-here, name: rita, groups: [reviewers]}
control:
  address: `+addr+`
  tokens:
    - {person: rita, file: rita.token}
    - {id: old, person: sam, file: sam.token, expires: 2020-01-01}
`, reviewedChange, "shell", "manual")
	must(t, os.WriteFile(filepath.Join(e.dir, "rita.token"), []byte("rita-"+strings.Repeat("7", 40)+"\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(e.dir, "sam.token"), []byte("sam-token"), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := e.serve()
	waitFor(t, "the network API's log line", 10*time.Second, func() bool { return strings.Contains(d.output(), "network control API") })

	// The owner reads the fingerprint on the host; the log says the same.
	var fp struct {
		SHA256 string `json:"sha256"`
	}
	if code := e.cliJSON(ctx, &fp, "control", "fingerprint"); code != 0 || len(fp.SHA256) != 64 {
		t.Fatalf("control fingerprint: exit %d %+v", code, fp)
	}
	if !strings.Contains(d.output(), "tls_fingerprint="+fp.SHA256) {
		t.Fatalf("serve's log lacks the fingerprint %s:\n%s", fp.SHA256, d.output())
	}

	elsewhere := t.TempDir()
	tokenFile := filepath.Join(elsewhere, "my.token")
	must(t, os.WriteFile(tokenFile, []byte("rita-"+strings.Repeat("7", 40)), 0o600))
	// Flags for some, the environment for others: both are read.
	r := &remote{t: t, bin: e.bin, dir: elsewhere, env: []string{"OPENOMA_ADDRESS=" + addr, "OPENOMA_TLS_FINGERPRINT=" + fp.SHA256}}

	// What the client sees before pinning is the same certificate.
	if out, _, code := r.cli(ctx, "control", "fingerprint"); code != 0 || strings.TrimSpace(out) != fp.SHA256 {
		t.Fatalf("remote control fingerprint: %q exit %d", out, code)
	}

	var started struct {
		ExecutionID string `json:"execution_id"`
	}
	r.json(ctx, &started, "run", "Reviewed Change", "--wait=false", "--token-file", tokenFile)
	if started.ExecutionID == "" {
		t.Fatal("run printed no execution id")
	}
	r.env = append(r.env, "OPENOMA_TOKEN_FILE="+tokenFile)

	// events --follow over the network ends when the flow ends.
	follow := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), "events", started.ExecutionID[:8], "--follow", "--json")
	follow.Dir, follow.Env = elsewhere, append(os.Environ(), append([]string{"OPENOMA_CONFIG="}, r.env...)...)
	var followed bytes.Buffer
	follow.Stdout, follow.Stderr = &followed, &followed
	must(t, follow.Start())
	followDone := make(chan error, 1)
	go func() { followDone <- follow.Wait() }()

	var review taskView
	waitFor(t, "the review task, over the network", 60*time.Second, func() bool {
		var list []taskView
		r.json(ctx, &list, "task", "list")
		for _, tk := range list {
			if tk.Kind == "block" {
				review = tk
				return true
			}
		}
		return false
	})
	var st report
	r.json(ctx, &st, "status", started.ExecutionID[:8])
	if st.ExecutionID != started.ExecutionID || st.State != execution.StateInProgress {
		t.Fatalf("status over the network: %+v", st)
	}
	var done struct {
		State string `json:"state"`
	}
	r.json(ctx, &done, "task", "complete", review.ID[:8], "--output", "verdict=approved")
	if done.State != "completed" {
		t.Fatalf("task complete over the network: %+v", done)
	}
	var question taskView
	waitFor(t, "the question", 60*time.Second, func() bool {
		var list []taskView
		r.json(ctx, &list, "task", "list")
		for _, tk := range list {
			if tk.Kind == "decision" {
				question = tk
				return true
			}
		}
		return false
	})
	if out, stderr, code := r.cli(ctx, "task", "decide", question.ID[:8], "yes"); code != 0 {
		t.Fatalf("task decide: exit %d %s%s", code, out, stderr)
	}
	select {
	case err := <-followDone:
		if err != nil {
			t.Fatalf("events --follow: %v\n%s", err, followed.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("events --follow did not end with the flow:\n%s", followed.String())
	}
	var completedBy *execution.ExecutorInfo
	flowEnded := false
	for _, line := range strings.Split(strings.TrimSpace(followed.String()), "\n") {
		var ev execution.Event
		must(t, json.Unmarshal([]byte(line), &ev))
		if ev.ExecutionID.String() == review.ID && ev.EventType == execution.EventCompleted {
			completedBy = ev.Executor
		}
		if ev.ExecutionID.String() == started.ExecutionID && ev.EventType == execution.EventCompleted {
			flowEnded = true
		}
	}
	if !flowEnded || completedBy == nil || completedBy.Identifier != "rita" || completedBy.Metadata["via"] != "api_token" || completedBy.Metadata["token_id"] != "rita" {
		t.Fatalf("followed events: flow ended %v, review completed by %+v\n%s", flowEnded, completedBy, followed.String())
	}

	// Cancel a second run over the network; the reason names the person.
	r.json(ctx, &started, "run", "Reviewed Change", "--wait=false")
	if out, stderr, code := r.cli(ctx, "cancel", started.ExecutionID, "--reason", "not today"); code != 0 {
		t.Fatalf("cancel: exit %d %s%s", code, out, stderr)
	}
	waitFor(t, "the cancellation", 30*time.Second, func() bool {
		r.json(ctx, &st, "status", started.ExecutionID)
		return st.State == execution.StateCancelled
	})
	if !strings.Contains(st.Reason, "not today") || !strings.Contains(st.Reason, "rita (API token rita)") {
		t.Errorf("cancel reason %q does not name the token's person", st.Reason)
	}

	// The plugins' health and a backup come over the network too.
	var plugs []struct {
		Name    string `json:"name"`
		Running bool   `json:"running"`
	}
	r.json(ctx, &plugs, "plugins")
	if len(plugs) != 2 || plugs[0].Name != "shell" || !plugs[1].Running {
		t.Errorf("plugins over the network: %+v", plugs)
	}
	backup := filepath.Join(elsewhere, "events.backup")
	if out, stderr, code := r.cli(ctx, "backup", backup); code != 0 || !strings.Contains(out, "backup of the host at "+addr+" written to "+backup) {
		t.Errorf("backup over the network: exit %d %s%s", code, out, stderr)
	}
	if st, err := os.Stat(backup); err != nil || st.Size() < 1000 {
		t.Errorf("backup file: %v", err)
	}

	// Refusals say why.
	wrong := filepath.Join(elsewhere, "wrong.token")
	must(t, os.WriteFile(wrong, []byte("guess"), 0o600))
	expired := filepath.Join(elsewhere, "sam.token")
	must(t, os.WriteFile(expired, []byte("sam-token"), 0o600))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong token", []string{"status", "--token-file", wrong}, "the token is not one of this host's control.tokens"},
		{"expired token", []string{"status", "--token-file", expired}, "token old (sam) expired at 2020-01-01T00:00:00Z"},
		{"wrong pin", []string{"status", "--tls-fingerprint", strings.Repeat("ab", 32)}, "not the pinned " + strings.Repeat("ab", 32)},
		{"neither pin nor CA", []string{"status", "--tls-fingerprint", "", "--address", addr}, "pin it with --tls-fingerprint"},
	} {
		out, stderr, code := r.cli(ctx, tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", tt.name, code, out, stderr, tt.want)
		}
	}
	if !strings.Contains(d.output(), "a token has expired and is refused: id=old") {
		t.Errorf("serve did not warn of the expired token:\n%s", d.output())
	}
	if !strings.Contains(d.output(), "refused a network control-API call") {
		t.Errorf("the daemon did not log the refusals:\n%s", d.output())
	}

	// The socket works as before, beside the network API.
	if out, code := e.cli(ctx, "status", started.ExecutionID); code != 0 || !strings.Contains(out, "cancelled") {
		t.Errorf("status over the socket: exit %d\n%s", code, out)
	}
	d.stop(t)
}

// freePortAddr is a loopback address with a port nobody listens on now.
func freePortAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
