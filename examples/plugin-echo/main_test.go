package main

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
)

var block = core.WorkBlock{
	ID: uuid.New(), Version: 1, Name: "Echo", ExecutionHints: []string{"echo"},
	Inputs:  []core.PortDescriptor{{Name: "message", Required: true}},
	Outputs: []core.PortDescriptor{{Name: "message", Required: true}},
}

// TestConformance runs the checks every adapter must pass, through the
// real gRPC shims.
func TestConformance(t *testing.T) {
	plugintest.Run(t, func(testing.TB) sdk.Adapter { return newEcho() }, plugintest.Config{
		Block:   block,
		Succeed: map[string]any{"message": "hello"},
		Fail:    map[string]any{}, // no message: the required output is missing
	})
}

// TestEcho checks what the plugin is for.
func TestEcho(t *testing.T) {
	h := plugintest.New(t, newEcho(), plugintest.Options{})
	b, err := h.Run(context.Background(), block, map[string]any{"message": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != execution.StateCompleted || b.Outputs()["message"] != "hello" {
		t.Errorf("state %s, outputs %v", b.State, b.Outputs())
	}
}
