package shell_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/shell/shell"
	"github.com/openoma/openoma/sdk/plugintest"
)

// TestExampleShellBlocks runs every shell block of examples/q3-launch
// with plausible inputs: each must complete with outputs that match its
// ports' schemas (the plugin checks them).
func TestExampleShellBlocks(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	catalog, err := core.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "q3-launch", "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"scores": "5 4 5 5 4", "csat": 4.6, "tested_version": "2024.3.0", "suite_passed": true,
		"deployment_ready": true, "smoke_passed": true, "uptime_percent": 99.95,
	}
	want := map[string]map[string]any{
		"Compute CSAT Score":         {"csat": 4.6, "responses": 5.0},
		"Produce CSAT Verdict":       {"verdict": "pass", "met": true},
		"Check Deployment Status":    {"deployed": true, "ready": true},
		"Produce Release Verdict":    {"verdict": "pass", "met": true},
		"Compute Uptime SLA Verdict": {"verdict": "pass", "met": true},
	}
	h := plugintest.New(t, shell.New(shell.Options{}), plugintest.Options{})
	ran := 0
	for _, block := range catalog.WorkBlocks() {
		if _, ok := block.Metadata["shell"]; !ok {
			continue
		}
		t.Run(block.Name, func(t *testing.T) {
			inputs := map[string]any{}
			for _, p := range block.Inputs {
				if v, ok := values[p.Name]; ok {
					inputs[p.Name] = v
				} else if p.Required {
					t.Fatalf("no test value for required input %q", p.Name)
				}
			}
			b, err := h.Run(testContext(t), *block, inputs)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != execution.StateCompleted {
				t.Fatalf("%s (%s)", b.State, b.FailureReason())
			}
			for k, v := range want[block.Name] {
				if b.Outputs()[k] != v {
					t.Errorf("output %s = %#v, want %#v", k, b.Outputs()[k], v)
				}
			}
		})
		ran++
	}
	if ran < 10 {
		t.Errorf("ran %d shell blocks of the example, want at least 10", ran)
	}
}

// TestExampleFailingTestsKnob follows the example's README: the plugin's
// OPENOMA_DEMO_FAILING_TESTS reaches the regression script.
func TestExampleFailingTestsKnob(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	catalog, err := core.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "q3-launch", "blocks", "qa.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var block *core.WorkBlock
	for _, b := range catalog.WorkBlocks() {
		if b.Name == "Run Regression Suite" {
			block = b
		}
	}
	if block == nil {
		t.Fatal("Run Regression Suite not found")
	}
	environ := func() []string { return []string{"PATH=/usr/bin:/bin", "OPENOMA_DEMO_FAILING_TESTS=auth checkout"} }
	h := plugintest.New(t, shell.New(shell.Options{Environ: environ}), plugintest.Options{})
	b, err := h.Run(testContext(t), *block, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted || b.Outputs()["failures"] != 2.0 || b.Outputs()["passed"] != false {
		t.Errorf("%s, outputs %v (%s)", b.State, b.Outputs(), b.FailureReason())
	}
}
