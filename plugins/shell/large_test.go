package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// TestLargeValuesThroughTheRealPlugin sends a string input of 100 KiB and
// one of 64 MiB (5 MiB under -race: still over gRPC's default 4 MiB) to
// the real plugin binary; the command gets it by file and writes it back
// as an output, which travels back through the brokered store.
func TestLargeValuesThroughTheRealPlugin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := plugin.NewClient(sdk.ClientConfig(exec.Command(binary), plugintest.TestLogger(t)))
	t.Cleanup(client.Kill)
	a, err := sdk.Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	block := core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Large", ExecutionHints: []string{"shell"},
		Inputs:  []core.PortDescriptor{{Name: "text", Required: true}},
		Outputs: []core.PortDescriptor{{Name: "text", Required: true}},
		Metadata: core.Metadata{"shell": map[string]any{
			"script": `{ printf '{"text": "'; cat "$OPENOMA_INPUT_TEXT_FILE"; printf '"}'; } > "$OPENOMA_OUTPUTS"`,
		}},
	}
	sizes := []int{100 << 10, 64 << 20}
	if raceDetector {
		sizes[1] = 5 << 20
	}
	for _, size := range sizes {
		s := memory.New()
		text := strings.Repeat("q", size)
		b := runBlock(ctx, t, a, s, block, map[string]any{"text": text})
		if b.State != execution.StateCompleted {
			t.Fatalf("%d bytes: %s: %s", size, b.State, b.FailureReason())
		}
		if got, _ := b.Outputs()["text"].(string); got != text {
			t.Errorf("%d bytes: the output has %d", size, len(got))
		}
		_ = s.Close()
	}
}

// runBlock does what the host does to run block with inputs on a, and
// waits for the execution to end.
func runBlock(ctx context.Context, t *testing.T, a sdk.Adapter, s *memory.Store, block core.WorkBlock, inputs map[string]any) execution.BlockExecution {
	t.Helper()
	node := plugintest.Node(block)
	id := uuid.New()
	created, err := execution.NewEvent(id, execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test-host"},
		execution.Created{Kind: execution.KindBlock, FlowExecutionID: uuid.New(), NodeReferenceID: node.ID, WorkBlockID: block.ID,
			WorkBlockVersion: 1, Attempt: 1, Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Append(ctx, []execution.Event{created}, store.ExpectSequence(0))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := a.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, Block: block, Node: node,
		Inputs: inputs, Attempt: 1, Sequence: stored[0].Sequence, Store: s}); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for the block to end: %v", err)
		}
		if ev.EventType.IsTerminal() {
			break
		}
	}
	events, err := s.Events(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := execution.ProjectBlock(events)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
