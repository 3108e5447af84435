package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openoma/openoma/execution"
)

// rerunDefs is a → b → c on the shell plugin; each block appends its name
// to a file (its side effect), and c fails until the file "fixed" exists.
func rerunDefs(dir string) string {
	step := func(name, in, script string) string {
		inputs := ""
		if in != "" {
			inputs = fmt.Sprintf("inputs: [{name: %s}]\n", in)
		}
		return fmt.Sprintf(`kind: work_block
name: %s
%soutputs: [{name: x}]
execution_hints: [shell]
metadata:
  shell:
    script: '%s'
---
`, name, inputs, script)
	}
	ran := filepath.Join(dir, "ran")
	fixed := filepath.Join(dir, "fixed")
	return step("A", "", fmt.Sprintf(`echo a >> %s; printf "{\"x\": \"a\"}"`, ran)) +
		step("B", "x", fmt.Sprintf(`echo b >> %s; printf "{\"x\": \"%%sb\"}" "$OPENOMA_INPUT_X"`, ran)) +
		step("C", "x", fmt.Sprintf(`echo c >> %s; test -f %s || { echo "the disk is full" >&2; exit 3; }; printf "{\"x\": \"%%sc\"}" "$OPENOMA_INPUT_X"`, ran, fixed)) +
		step("Slow", "", `sleep 30; printf "{\"x\": 1}"`) +
		`kind: flow
name: Load
nodes:
  - {alias: a, block: A@1}
  - {alias: b, block: B@1}
  - {alias: c, block: C@1}
edges:
  - {to: a}
  - {from: a, to: b}
  - {from: b, to: c}
---
kind: flow
name: Slow
nodes:
  - {alias: s, block: Slow@1}
edges:
  - {to: s}
---
kind: contract
name: Ship
work_flows: [Load@1, Load@1]
`
}

// rerunReport is the part of run --json / status --json the rerun test
// reads.
type rerunReport struct {
	ExecutionID string          `json:"execution_id"`
	State       execution.State `json:"state"`
	Reason      string          `json:"reason"`
	RerunOf     string          `json:"rerun_of"`
	Blocks      []struct {
		ExecutionID string          `json:"execution_id"`
		Alias       string          `json:"alias"`
		State       execution.State `json:"state"`
		Iteration   int             `json:"iteration"`
		SharedFrom  string          `json:"shared_from"`
	} `json:"blocks"`
	Outputs map[string]map[string]any `json:"outputs"`
}

// TestRerunAfterAFailure runs a flow that fails at its last node c, fixes
// the cause and reruns it through the daemon: a and b are claimed from the
// failed run — their side effects happen once — and only c runs again.
func TestRerunAfterAFailure(t *testing.T) {
	side := t.TempDir()
	e := newEnv(t, shellPlugins, map[string]string{"load.yaml": rerunDefs(side)}, "shell")
	ctx := context.Background()
	d := e.serve()
	defer d.stop(t)
	ran := func() string {
		b, _ := os.ReadFile(filepath.Join(side, "ran"))
		return strings.Join(strings.Fields(string(b)), " ")
	}

	var first rerunReport
	if code := e.cliJSON(ctx, &first, "run", "Load"); code != 1 || first.State != execution.StateFailed {
		t.Fatalf("first run: exit %d, %s (%s)", code, first.State, first.Reason)
	}
	if got := ran(); got != "a b c" {
		t.Fatalf("side effects of the first run: %q", got)
	}

	// Refusals say why and record nothing.
	slow, code := e.cli(ctx, "run", "Slow", "--wait=false")
	if code != 0 {
		t.Fatalf("run Slow: exit %d", code)
	}
	slow = strings.TrimSpace(slow)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{slow}, "still running"},
		{[]string{first.ExecutionID, "--from", "nope"}, `--from "nope": no such node in flow "Load" v1; its nodes are a, b, c`},
		{[]string{first.ExecutionID, "--input", "regoin=eu"}, `unknown input "regoin"`},
	} {
		stderr, code := e.cliErr(ctx, append([]string{"rerun"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("rerun %v: exit %d, stderr %q; want a refusal containing %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, code := e.cli(ctx, "cancel", slow); code != 0 {
		t.Errorf("cancel Slow: exit %d", code)
	}
	if got := ran(); got != "a b c" {
		t.Fatalf("refused reruns ran blocks: %q", got)
	}

	must(t, os.WriteFile(filepath.Join(side, "fixed"), nil, 0o644))
	var rerun rerunReport
	if code := e.cliJSON(ctx, &rerun, "rerun", first.ExecutionID[:8]); code != 0 || rerun.State != execution.StateCompleted {
		t.Fatalf("rerun: exit %d, %s (%s)\n%s", code, rerun.State, rerun.Reason, d.output())
	}
	if got := ran(); got != "a b c c" {
		t.Errorf("side effects after the rerun: %q, want a and b once, c twice", got)
	}
	if rerun.RerunOf != first.ExecutionID || rerun.ExecutionID == first.ExecutionID {
		t.Errorf("rerun %s rerun_of %q, want %s", rerun.ExecutionID, rerun.RerunOf, first.ExecutionID)
	}
	byAlias := map[string]string{}
	for _, b := range rerun.Blocks {
		who := "own"
		if b.SharedFrom == first.ExecutionID {
			who = "claimed"
		} else if b.SharedFrom != "" {
			who = "claimed from " + b.SharedFrom
		}
		byAlias[b.Alias] += fmt.Sprintf("%s %s %d;", who, b.State, b.Iteration)
	}
	want := map[string]string{"a": "claimed completed 1;", "b": "claimed completed 1;", "c": "own completed 1;"}
	if fmt.Sprint(byAlias) != fmt.Sprint(want) {
		t.Errorf("rerun blocks = %v, want %v", byAlias, want)
	}
	if got := rerun.Outputs["c"]["x"]; got != "abc" {
		t.Errorf("rerun output c.x = %v, want abc (c got b's claimed output)", got)
	}

	// The old execution is unchanged; the new one's tree says where its
	// blocks come from.
	var old rerunReport
	e.cliJSON(ctx, &old, "status", first.ExecutionID)
	if old.State != execution.StateFailed || len(old.Blocks) != len(first.Blocks) {
		t.Errorf("old execution now %s with %d blocks, was failed with %d", old.State, len(old.Blocks), len(first.Blocks))
	}
	tree, _ := e.cli(ctx, "status", rerun.ExecutionID)
	if strings.Count(tree, "shared from "+first.ExecutionID) != 2 {
		t.Errorf("status tree does not show a and b shared from the first run:\n%s", tree)
	}
	checkLog(t, e.events(ctx, rerun.ExecutionID))

	// A contract counts the completed rerun as one of its two Load work
	// flows and runs only the other.
	var ship struct {
		State execution.State `json:"state"`
		Flows []struct {
			ExecutionID string          `json:"execution_id"`
			State       execution.State `json:"state"`
			Claimed     bool            `json:"claimed"`
		} `json:"flows"`
	}
	if code := e.cliJSON(ctx, &ship, "run", "Ship", "--claim", rerun.ExecutionID[:8]); code != 0 || ship.State != execution.StateCompleted {
		t.Fatalf("run Ship --claim: exit %d, %s", code, ship.State)
	}
	if len(ship.Flows) != 2 || !ship.Flows[0].Claimed || ship.Flows[0].ExecutionID != rerun.ExecutionID || ship.Flows[1].Claimed {
		t.Errorf("Ship's flows = %+v, want the rerun claimed as the first", ship.Flows)
	}
	if got := ran(); got != "a b c c a b c" {
		t.Errorf("side effects after run Ship --claim: %q, want one more run of a, b and c only", got)
	}
	if stderr, code := e.cliErr(ctx, "run", "Ship", "--claim", first.ExecutionID); code == 0 || !strings.Contains(stderr, "only a completed one counts") {
		t.Errorf("claiming the failed run: exit %d, %q", code, stderr)
	}
}

// cliErr runs openoma-host and returns its stderr and exit status.
func (e *env) cliErr(ctx context.Context, args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "openoma-host"), append([]string{"--config", e.config}, args...)...)
	cmd.Env = append(os.Environ(), "OPENOMA_LOG_LEVEL=warn")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return errb.String(), ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("openoma-host %s: %v", strings.Join(args, " "), err)
	}
	return errb.String(), 0
}
