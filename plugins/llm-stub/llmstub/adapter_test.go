package llmstub_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/condition"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/internal/fault"
	"github.com/openoma/openoma/plugins/llm-stub/llmstub"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
)

func newHarness(t *testing.T, fixtures string, faults *fault.Injector) *plugintest.Harness {
	t.Helper()
	var f *llmstub.Fixtures
	if fixtures != "" {
		f = mustFixtures(t, fixtures)
	}
	if faults == nil {
		faults = fault.NewInjector(t.TempDir(), func() {})
	}
	return plugintest.New(t, llmstub.New(llmstub.Options{Model: llmstub.NewStub(llmstub.Config{Fixtures: f}), Faults: faults}), plugintest.Options{})
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func terminalFailure(t *testing.T, b execution.BlockExecution) execution.Failure {
	t.Helper()
	var f execution.Failure
	if err := b.Events[len(b.Events)-1].DecodePayload(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRunBlocks(t *testing.T) {
	fixtures := `
tokens: 2
blocks:
  Ticket Triage:
    outputs: {approved: true, fast_track: false, task: Implement search}
  Wrong Port:
    outputs: {nonsense: 1}
  Wrong Type:
    outputs: {approved: "yes"}
`
	cases := []struct {
		name    string
		block   core.WorkBlock
		inputs  map[string]any
		state   execution.State
		outputs map[string]any
		code    string
		reason  []string
	}{
		{name: "fixture", block: triage(1), inputs: map[string]any{"ticket_id": "PROJ-1"}, state: execution.StateCompleted,
			outputs: map[string]any{"approved": true, "fast_track": false, "task": "Implement search"}},
		{name: "fixture names an undeclared port", block: core.WorkBlock{Name: "Wrong Port", Outputs: triage(1).Outputs},
			state: execution.StateFailed, code: "undeclared_output", reason: []string{`fixtures.yaml: blocks["Wrong Port"][0]`, `"nonsense"`}},
		{name: "fixture value against the schema", block: core.WorkBlock{Name: "Wrong Type", Outputs: triage(1).Outputs},
			state: execution.StateFailed, code: "bad_output", reason: []string{`output "approved"`, "want boolean"}},
		{name: "bad llm_stub metadata", block: core.WorkBlock{Name: "X", Metadata: core.Metadata{"llm_stub": map[string]any{"latency": "soon"}}},
			state: execution.StateFailed, code: "bad_metadata", reason: []string{"block metadata.llm_stub.latency"}},
		{name: "missing input", block: core.WorkBlock{Name: "X", Inputs: []core.PortDescriptor{{Name: "ticket", Required: true}}},
			state: execution.StateFailed, code: "bad_input", reason: []string{`required input "ticket" is missing`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, fixtures, nil)
			c.block.ID, c.block.Version = uuid.New(), 1
			if c.inputs == nil {
				c.inputs = map[string]any{}
			}
			b, err := h.Run(testContext(t), c.block, c.inputs)
			if err != nil {
				t.Fatal(err)
			}
			if err := plugintest.CheckLifecycle(c.block, b.Events); err != nil {
				t.Error(err)
			}
			if b.State != c.state {
				t.Fatalf("state %s, want %s (%s)", b.State, c.state, b.FailureReason())
			}
			if c.outputs != nil && !reflect.DeepEqual(b.Outputs(), c.outputs) {
				t.Errorf("outputs %v, want %v", b.Outputs(), c.outputs)
			}
			if c.state == execution.StateCompleted {
				if ex := b.Executor(); ex == nil || ex.Type != execution.ExecutorAgent || ex.Identifier != "llm-stub" {
					t.Errorf("executor %+v, want the llm-stub agent", ex)
				}
				return
			}
			f := terminalFailure(t, b)
			if f.Code != c.code {
				t.Errorf("code %q, want %q (%s)", f.Code, c.code, f.Reason)
			}
			for _, r := range c.reason {
				if !strings.Contains(f.Reason, r) {
					t.Errorf("reason %q does not mention %q", f.Reason, r)
				}
			}
		})
	}
}

func TestStreamsProgress(t *testing.T) {
	h := newHarness(t, "tokens: 3\n", nil)
	b, err := h.Run(testContext(t), core.WorkBlock{ID: uuid.New(), Version: 1, Name: "Thinker"}, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, ev := range b.Events {
		if ev.EventType == execution.EventProgress {
			var p struct{ Text string }
			_ = ev.DecodePayload(&p)
			texts = append(texts, p.Text)
		}
	}
	if strings.Join(texts, "|") != "thinking… token 1/3|thinking… token 2/3|thinking… token 3/3" {
		t.Errorf("progress %q", texts)
	}
}

func TestEvaluateCondition(t *testing.T) {
	h := newHarness(t, triageFixtures, nil)
	ctx := testContext(t)
	cc := sdk.ConditionContext{SourceOutputs: map[string]any{"approved": true, "fast_track": true}}
	cases := []struct {
		name   string
		cond   core.Condition
		want   bool
		reason string
		err    error
		errMsg string // sentinels of package condition do not cross the wire; their text does
	}{
		{"CEL predicate", core.Condition{Description: "ticket is approved", Predicate: map[string]any{"cel": "outputs.approved == true"}}, true, "predicate", nil, ""},
		{"CEL predicate false", core.Condition{Predicate: map[string]any{"cel": "outputs.approved == false"}}, false, "predicate", nil, ""},
		{"description judged by a rule", core.Condition{Description: "ticket is fast-track"}, true, "triage marked it fast-track", nil, ""},
		{"description, default", core.Condition{Description: "budget is available"}, false, "no rule matched", nil, ""},
		{"predicate that does not compile", core.Condition{Predicate: map[string]any{"cel": "outputs.approved =="}}, false, "", nil, condition.ErrCompile.Error()},
		{"unknown predicate format", core.Condition{Predicate: map[string]any{"rego": "x"}}, false, "", nil, condition.ErrUnknownFormat.Error()},
		{"neither predicate nor description", core.Condition{}, false, "", sdk.ErrMalformedRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := h.Adapter.EvaluateCondition(ctx, sdk.ConditionRequest{RequestID: uuid.New(), FlowExecutionID: h.FlowExecutionID, Condition: c.cond, Context: cc})
			if c.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), c.errMsg) {
					t.Fatalf("err = %v, want one saying %q", err, c.errMsg)
				}
				return
			}
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Pending || res.Value != c.want || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("result %+v, want %v with a reason mentioning %q", res, c.want, c.reason)
			}
		})
	}
	info, err := h.Adapter.Describe(ctx)
	if err != nil || !info.Conditions || !reflect.DeepEqual(info.Hints, []string{"agent", "llm", "*"}) {
		t.Errorf("Describe = %+v, %v", info, err)
	}
}

// TestResumeAsksAgain resumes an execution interrupted mid-answer: the
// model is asked again and gives the answer a fresh run gives.
func TestResumeAsksAgain(t *testing.T) {
	h := newHarness(t, "", nil)
	ctx := testContext(t)
	block := triage(1)
	inputs := map[string]any{"ticket_id": "PROJ-7"}
	fresh, err := h.Run(ctx, block, inputs)
	if err != nil {
		t.Fatal(err)
	}
	id, seq, err := h.Create(ctx, block, plugintest.Node(block), inputs)
	if err != nil {
		t.Fatal(err)
	}
	prev := sdk.Agent("llm-stub")
	if _, err := h.Store.Append(ctx, []execution.Event{
		{ExecutionID: id, EventType: execution.EventExecutorAssigned, Executor: &prev},
		{ExecutionID: id, EventType: execution.EventStarted, Executor: &prev},
	}, store.ExpectSequence(seq)); err != nil {
		t.Fatal(err)
	}
	if err := h.Resume(ctx, id, block); err != nil {
		t.Fatal(err)
	}
	resumed, err := h.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.State != execution.StateCompleted || !reflect.DeepEqual(resumed.Outputs(), fresh.Outputs()) {
		t.Errorf("resumed: %s %v; a fresh run gave %v", resumed.State, resumed.Outputs(), fresh.Outputs())
	}
	if err := plugintest.CheckLifecycle(block, resumed.Events); err != nil {
		t.Error(err)
	}
}

func TestFaultInjectionThenResume(t *testing.T) {
	for _, point := range fault.Points {
		t.Run(string(point), func(t *testing.T) {
			ctx := testContext(t)
			faults := fault.NewInjector(t.TempDir(), func() {})
			h := newHarness(t, "", faults)
			block := triage(1)
			block.Metadata = core.Metadata{"openoma": map[string]any{"fault": map[string]any{"crash_after": string(point)}}}
			id, err := h.Execute(ctx, block, map[string]any{})
			if err != nil {
				t.Fatal(err)
			}
			for n, _ := faults.Crashes(id, 1); n == 0; n, _ = faults.Crashes(id, 1) {
				if ctx.Err() != nil {
					t.Fatal("no crash")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(30 * time.Millisecond)
			b, _ := h.Block(ctx, id)
			if b.State.IsTerminal() {
				t.Fatalf("ended %s despite the crash", b.State)
			}
			host := execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"}
			if _, err := h.Store.Append(ctx, []execution.Event{{ExecutionID: id, EventType: execution.EventExecutorReleased, Executor: &host}}, store.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			next := plugintest.New(t, llmstub.New(llmstub.Options{Faults: faults}), plugintest.Options{Store: h.Store})
			next.FlowExecutionID = h.FlowExecutionID
			if err := next.Resume(ctx, id, block); err != nil {
				t.Fatal(err)
			}
			b, err = next.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != execution.StateCompleted {
				t.Fatalf("after the crash and resume: %s (%s)", b.State, b.FailureReason())
			}
			if err := plugintest.CheckLifecycle(block, b.Events); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestExampleAgentBlocks runs every block of examples/q3-launch that is
// not a shell block through the stub without fixtures: the templates
// must satisfy each port's schema.
func TestExampleAgentBlocks(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	catalog, err := core.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "q3-launch", "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", nil)
	ran := 0
	for _, block := range catalog.WorkBlocks() {
		if _, isShell := block.Metadata["shell"]; isShell {
			continue
		}
		inputs := map[string]any{}
		for _, p := range block.Inputs {
			inputs[p.Name] = llmstub.TemplateOutputs(core.WorkBlock{Name: "input", Outputs: []core.PortDescriptor{p}}, nil)[p.Name]
		}
		b, err := h.Run(testContext(t), *block, inputs)
		if err != nil {
			t.Fatal(err)
		}
		if b.State != execution.StateCompleted {
			t.Errorf("%s: %s (%s)", block.Describe(), b.State, b.FailureReason())
		}
		ran++
	}
	if ran < 5 {
		t.Errorf("ran %d agent blocks of the example, want at least 5", ran)
	}
}
