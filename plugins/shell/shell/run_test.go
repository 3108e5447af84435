package shell_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk/plugintest"
)

func TestRunOutcomes(t *testing.T) {
	okOut := []core.PortDescriptor{port("ok", true, map[string]any{"type": "boolean"})}
	dir := t.TempDir()
	cases := []struct {
		name     string
		settings any
		inputs   []core.PortDescriptor
		outputs  []core.PortDescriptor
		values   map[string]any
		environ  []string
		// want
		state   execution.State
		outs    map[string]any
		code    string
		reasons []string
		details map[string]any
	}{
		{
			name: "outputs on stdout", settings: `echo "working" >&2; echo '{"ok": true}'`, outputs: okOut,
			state: execution.StateCompleted, outs: map[string]any{"ok": true},
		},
		{
			name: "outputs in $OPENOMA_OUTPUTS win over stdout", outputs: okOut,
			settings: `echo 'free text on stdout'; echo '{"ok": true}' > "$OPENOMA_OUTPUTS"`,
			state:    execution.StateCompleted, outs: map[string]any{"ok": true},
		},
		{
			name: "argv form", settings: map[string]any{"argv": []any{"printf", `{"ok": %s}`, "true"}}, outputs: okOut,
			state: execution.StateCompleted, outs: map[string]any{"ok": true},
		},
		{
			name: "other interpreter", settings: map[string]any{"interpreter": []any{"sh", "-eu"}, "script": `echo '{"ok": true}'`}, outputs: okOut,
			state: execution.StateCompleted, outs: map[string]any{"ok": true},
		},
		{
			name:     "inputs as variables and stdin",
			settings: `stdin=$(cat); printf '{"from_env": "%s", "count": %s, "stdin": %s}' "$OPENOMA_INPUT_TICKET_ID" "$OPENOMA_INPUT_COUNT" "$stdin"`,
			inputs:   []core.PortDescriptor{port("ticket-id", true, nil), port("count", true, map[string]any{"type": "integer"})},
			outputs:  []core.PortDescriptor{port("from_env", true, nil), port("count", true, nil), port("stdin", true, nil)},
			values:   map[string]any{"ticket-id": "PROJ-142", "count": 3},
			state:    execution.StateCompleted,
			outs:     map[string]any{"from_env": "PROJ-142", "count": 3.0, "stdin": map[string]any{"ticket-id": "PROJ-142", "count": 3.0}},
		},
		{
			name:     "inputs are never pasted into the command",
			settings: `echo "$OPENOMA_INPUT_V" >&2; echo '{"ok": true}'`, outputs: okOut,
			inputs: []core.PortDescriptor{port("v", true, nil)},
			values: map[string]any{"v": `$(touch ` + filepath.Join(dir, "pwned") + `); "; touch ` + filepath.Join(dir, "pwned2")},
			state:  execution.StateCompleted, outs: map[string]any{"ok": true},
		},
		{
			name:     "minimal environment with an allow-list",
			settings: map[string]any{"script": `printf '{"secret": "%s", "allowed": "%s", "home": "%s", "demo": "%s"}' "${SECRET:-unset}" "${ALLOWED:-unset}" "$HOME" "$OPENOMA_DEMO"`, "env": []any{"ALLOWED"}},
			environ:  []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/op", "SECRET=s3cr3t", "ALLOWED=yes", "OPENOMA_DEMO=on"},
			outputs:  []core.PortDescriptor{port("secret", true, nil), port("allowed", true, nil), port("home", true, nil), port("demo", true, nil)},
			state:    execution.StateCompleted,
			outs:     map[string]any{"secret": "unset", "allowed": "yes", "home": "/home/op", "demo": "on"},
		},
		{
			name: "working directory", settings: map[string]any{"script": `printf '{"dir": "%s"}' "$(pwd -P)"`, "dir": dir},
			outputs: []core.PortDescriptor{port("dir", true, nil)},
			state:   execution.StateCompleted, outs: map[string]any{"dir": resolve(t, dir)},
		},
		{
			name: "exit status with the tail of stderr", outputs: okOut,
			settings: `echo first >&2; echo "disk full" >&2; exit 7`,
			state:    execution.StateFailed, code: "exit_status",
			reasons: []string{`block "Shell Test" v1`, "exited with status 7", "disk full"},
			details: map[string]any{"exit_code": 7.0, "stderr_tail": "first\ndisk full"},
		},
		{
			name: "killed by a signal", settings: `kill -9 $$`, outputs: okOut,
			state: execution.StateFailed, code: "signal", reasons: []string{"killed by signal 9"},
		},
		{
			name: "program not found", settings: map[string]any{"argv": []any{"/nonexistent/program"}}, outputs: okOut,
			state: execution.StateFailed, code: "spawn", reasons: []string{"cannot start /nonexistent/program"},
		},
		{
			name: "missing required output", settings: `echo '{}'`, outputs: okOut,
			state: execution.StateFailed, code: "missing_output", reasons: []string{`"ok"`},
		},
		{
			name: "undeclared output", settings: `echo '{"ok": true, "extra": 1}'`, outputs: okOut,
			state: execution.StateFailed, code: "undeclared_output", reasons: []string{"stdout", `"extra"`, "declared: ok"},
		},
		{
			name: "output against its schema", settings: `echo '{"ok": "yes"}'`, outputs: okOut,
			state: execution.StateFailed, code: "bad_output", reasons: []string{`output "ok"`, "want boolean"},
		},
		{
			name: "stdout not JSON", settings: `echo 'all done'`, outputs: okOut,
			state: execution.StateFailed, code: "bad_output", reasons: []string{"stdout is not a JSON object", "all done"},
		},
		{
			name: "no outputs declared, free text", settings: `echo 'all done'`,
			state: execution.StateCompleted, outs: map[string]any{},
		},
		{
			name: "bad metadata", settings: map[string]any{"argv": []any{"true"}, "timeout": "soon"},
			state: execution.StateFailed, code: "bad_metadata", reasons: []string{"block metadata.shell.timeout", `"soon"`},
		},
		{
			name: "missing required input", settings: `true`, inputs: []core.PortDescriptor{port("ticket", true, nil)},
			state: execution.StateFailed, code: "bad_input", reasons: []string{`required input "ticket" is missing`},
		},
		{
			name: "input against its schema", settings: `true`, inputs: []core.PortDescriptor{port("n", true, map[string]any{"type": "integer"})},
			values: map[string]any{"n": "three"},
			state:  execution.StateFailed, code: "bad_input", reasons: []string{`input "n"`, "want integer"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := shell.Options{}
			if c.environ != nil {
				opts.Environ = func() []string { return c.environ }
			}
			h, _ := newHarness(t, opts)
			block := shellBlock(c.settings, c.inputs, c.outputs)
			values := c.values
			if values == nil {
				values = map[string]any{}
			}
			b, err := h.Run(testContext(t), block, values)
			if err != nil {
				t.Fatal(err)
			}
			if err := plugintest.CheckLifecycle(block, b.Events); err != nil {
				t.Error(err)
			}
			if b.State != c.state {
				t.Fatalf("state %s, want %s (reason %q)", b.State, c.state, b.FailureReason())
			}
			if c.outs != nil && !reflect.DeepEqual(b.Outputs(), c.outs) {
				t.Errorf("outputs %v, want %v", b.Outputs(), c.outs)
			}
			if c.state == execution.StateCompleted {
				return
			}
			f := failureOf(t, b)
			if f.Code != c.code {
				t.Errorf("code %q, want %q (reason %q)", f.Code, c.code, f.Reason)
			}
			for _, r := range c.reasons {
				if !strings.Contains(f.Reason, r) {
					t.Errorf("reason %q does not mention %q", f.Reason, r)
				}
			}
			for k, v := range c.details {
				if !reflect.DeepEqual(f.Details[k], v) {
					t.Errorf("details[%s] = %#v, want %#v", k, f.Details[k], v)
				}
			}
		})
	}
	for _, f := range []string{"pwned", "pwned2"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("an input value ran as a command (%s exists)", f)
		}
	}
}

func resolve(t *testing.T, dir string) string {
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExecutionIdentityInEnvironment(t *testing.T) {
	h, _ := newHarness(t, shell.Options{})
	block := shellBlock(`printf '{"id": "%s", "attempt": "%s", "block": "%s"}' "$OPENOMA_EXECUTION_ID" "$OPENOMA_ATTEMPT" "$OPENOMA_BLOCK_NAME"`,
		nil, []core.PortDescriptor{port("id", true, nil), port("attempt", true, nil), port("block", true, nil)})
	b, err := h.Run(testContext(t), block, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": b.ID.String(), "attempt": "1", "block": "Shell Test"}
	if !reflect.DeepEqual(b.Outputs(), want) {
		t.Errorf("outputs %v, want %v (reason %q)", b.Outputs(), want, b.FailureReason())
	}
}

func TestStderrStreamsAsProgress(t *testing.T) {
	h, _ := newHarness(t, shell.Options{})
	block := shellBlock(`for i in 1 2 3; do echo "step $i" >&2; done; echo '{}'`, nil, nil)
	b, err := h.Run(testContext(t), block, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range progressOf(t, b, "stderr") {
		for _, l := range p["lines"].([]any) {
			lines = append(lines, l.(string))
		}
	}
	if strings.Join(lines, "|") != "step 1|step 2|step 3" {
		t.Errorf("stderr progress lines %q", lines)
	}
	if n := len(progressOf(t, b, "command_started")); n != 1 {
		t.Errorf("%d command_started events, want 1", n)
	}
	exited := progressOf(t, b, "command_exited")
	if len(exited) != 1 || exited[0]["exit_code"] != 0.0 {
		t.Errorf("command_exited events %v", exited)
	}

	quiet := shellBlock(map[string]any{"script": `echo noise >&2; echo '{}'`, "stream_stderr": false}, nil, nil)
	b, err = h.Run(testContext(t), quiet, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(progressOf(t, b, "stderr")); n != 0 {
		t.Errorf("stream_stderr: false still sent %d stderr events", n)
	}
}
