package llmstub_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
)

const triageFixtures = `
blocks:
  Ticket Triage:
    - when: {regex: 'PROJ-9\d\d'}
      outputs: {approved: false, fast_track: false, task: not this sprint}
    - outputs: {approved: true, task: Implement the ticket}
  Ticket Triage@2:
    outputs: {approved: false}
  Flaky:
    fail: {reason: rate limited}
conditions:
  default: false
  rules:
    - description: {contains: FAST-TRACK}
      context: {regex: '"fast_track":\s*true'}
      value: true
      reason: triage marked it fast-track
    - description: {regex: '^ticket is (approved|ok)$'}
      value: true
`

func triage(version int) core.WorkBlock {
	return core.WorkBlock{ID: uuid.New(), Version: version, Name: "Ticket Triage", Inputs: []core.PortDescriptor{
		{Name: "ticket_id", Required: false, Schema: map[string]any{"type": "string"}},
	}, Outputs: []core.PortDescriptor{
		{Name: "approved", Required: true, Schema: map[string]any{"type": "boolean"}},
		{Name: "fast_track", Required: true, Schema: map[string]any{"type": "boolean"}},
		{Name: "task", Required: true},
	}}
}

func TestGenerateFromFixtures(t *testing.T) {
	stub := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(t, triageFixtures)})
	cases := []struct {
		name    string
		block   core.WorkBlock
		inputs  map[string]any
		want    map[string]any // a subset of the outputs
		source  string
		failure string
	}{
		{"first matching case", triage(1), map[string]any{"ticket_id": "PROJ-942"},
			map[string]any{"approved": false, "fast_track": false, "task": "not this sprint"}, `fixtures.yaml: blocks["Ticket Triage"][0]`, ""},
		{"fallback case, template fills the rest", triage(1), map[string]any{"ticket_id": "PROJ-142"},
			map[string]any{"approved": true, "fast_track": true, "task": "Implement the ticket"}, `blocks["Ticket Triage"][1]`, ""},
		{"Name@version wins over Name", triage(2), map[string]any{"ticket_id": "PROJ-942"},
			map[string]any{"approved": false, "fast_track": true}, `blocks["Ticket Triage@2"][0]`, ""},
		{"no fixture: template", core.WorkBlock{Name: "Other", Outputs: []core.PortDescriptor{{Name: "ok", Schema: map[string]any{"type": "boolean"}}}}, nil,
			map[string]any{"ok": true}, "template", ""},
		{"simulated failure", core.WorkBlock{Name: "Flaky"}, nil, nil, "", "rate limited (simulated by fixtures.yaml: blocks[\"Flaky\"][0])"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := stub.Generate(context.Background(), llmstub.Request{Block: c.block, Inputs: c.inputs}, nil)
			if c.failure != "" {
				var be *sdk.BlockError
				if !errors.As(err, &be) || be.Failure.Code != "model_error" || be.Failure.Reason != c.failure {
					t.Fatalf("err = %v, want model_error %q", err, c.failure)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.want {
				if !reflect.DeepEqual(resp.Outputs[k], v) {
					t.Errorf("output %s = %#v, want %#v", k, resp.Outputs[k], v)
				}
			}
			if !strings.Contains(resp.Source, c.source) {
				t.Errorf("source %q, want %q", resp.Source, c.source)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	withRules := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(t, triageFixtures)})
	noRules := llmstub.NewStub(llmstub.Config{})
	flagged := llmstub.NewStub(llmstub.Config{Fixtures: mustFixtures(t, triageFixtures), DefaultCondition: &[]bool{true}[0]})
	cases := []struct {
		name   string
		stub   *llmstub.Stub
		desc   string
		ctx    sdk.ConditionContext
		want   bool
		reason string
	}{
		{"keyword and context match", withRules, "ticket is fast-track",
			sdk.ConditionContext{SourceOutputs: map[string]any{"fast_track": true}}, true, "triage marked it fast-track"},
		{"keyword matches, context does not: default", withRules, "ticket is fast-track",
			sdk.ConditionContext{SourceOutputs: map[string]any{"fast_track": false}}, false, "no rule matched"},
		{"regex on the description", withRules, "ticket is ok", sdk.ConditionContext{}, true, "conditions.rules[1]"},
		{"default from the file", withRules, "budget is available", sdk.ConditionContext{}, false, "conditions.default of fixtures.yaml"},
		{"default from the flag wins", flagged, "budget is available", sdk.ConditionContext{}, true, "--default-condition"},
		{"built-in default is true", noRules, "anything", sdk.ConditionContext{}, true, "built-in default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.stub.Judge(context.Background(), llmstub.Question{Description: c.desc, Context: c.ctx})
			if err != nil {
				t.Fatal(err)
			}
			if v.Value != c.want || !strings.Contains(v.Reason, c.reason) {
				t.Errorf("verdict %+v, want %v with a reason mentioning %q", v, c.want, c.reason)
			}
		})
	}
}

func TestStreamingAndLatency(t *testing.T) {
	latency := 60 * time.Millisecond
	tokens := 4
	stub := llmstub.NewStub(llmstub.Config{Latency: &latency, Tokens: &tokens})
	var chunks []llmstub.Chunk
	start := time.Now()
	if _, err := stub.Generate(context.Background(), llmstub.Request{Block: core.WorkBlock{Name: "B"}}, func(c llmstub.Chunk) { chunks = append(chunks, c) }); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("answered after %s, want the simulated latency %s", elapsed, latency)
	}
	if len(chunks) != 4 || chunks[3] != (llmstub.Chunk{Index: 4, Total: 4, Text: "thinking… token 4/4"}) {
		t.Errorf("chunks %+v", chunks)
	}
	// Per-block metadata wins; a cancelled context ends the wait.
	slow := core.WorkBlock{Name: "B", Metadata: core.Metadata{"llm_stub": map[string]any{"latency": "1h", "tokens": 1}}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := stub.Generate(ctx, llmstub.Request{Block: slow}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
}

func TestParseFixturesErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"unknown field", "blocks:\n  A:\n    output: {x: 1}\n", []string{"fixtures.yaml", "line 3", "field output not found"}},
		{"bad regex", "blocks:\n  A:\n    - when: {regex: '('}\n", []string{`blocks["A"][0].when.regex`, "missing closing )"}},
		{"fail without reason", "blocks:\n  A: {fail: {code: x}}\n", []string{`blocks["A"][0].fail.reason`}},
		{"outputs and fail", "blocks:\n  A: {fail: {reason: r}, outputs: {a: 1}}\n", []string{"outputs or fail, not both"}},
		{"bad latency", "latency: soon\n", []string{"line 1", `"soon" is not a duration`}},
		{"bad rule regex", "conditions:\n  rules:\n    - context: {regex: '['}\n", []string{"conditions.rules[0].context.regex"}},
		{"not YAML", "blocks: [\n", []string{"fixtures.yaml", "yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := llmstub.ParseFixtures("fixtures.yaml", []byte(c.text))
			if !errors.Is(err, llmstub.ErrBadFixtures) {
				t.Fatalf("err = %v, want ErrBadFixtures", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	if f, err := llmstub.ParseFixtures("empty.yaml", nil); err != nil || len(f.Blocks) != 0 {
		t.Errorf("empty file: %v, %v", f, err)
	}
	if _, err := llmstub.ParseFixtures("f.json", []byte(`{"blocks": {"A": {"outputs": {"x": 1}}}}`)); err != nil {
		t.Errorf("JSON fixtures: %v", err)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fixtures.yaml")
	if err := os.WriteFile(path, []byte("latency: 1s\ntokens: 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{llmstub.EnvFixtures: path, llmstub.EnvTokens: "5", llmstub.EnvLatency: "2s"}
	getenv := func(k string) string { return env[k] }
	cfg, err := llmstub.LoadConfig([]string{"--latency", "10ms", "--default-condition=false"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fixtures == nil || cfg.Fixtures.Path != path || *cfg.Latency != 10*time.Millisecond || *cfg.Tokens != 5 || *cfg.DefaultCondition {
		t.Errorf("config %+v: want the fixtures from the environment, latency from the flag, tokens from the environment", cfg)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--fixtures", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"--latency", "fast"}, `--latency / $OPENOMA_LLM_STUB_LATENCY: "fast"`},
		{[]string{"--tokens", "-1"}, `--tokens / $OPENOMA_LLM_STUB_TOKENS: "-1"`},
		{[]string{"--default-condition", "maybe"}, `"maybe" is not true or false`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
		{[]string{"extra"}, `unexpected "extra"`},
	} {
		if _, err := llmstub.LoadConfig(c.args, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadConfig(%q) = %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
}
