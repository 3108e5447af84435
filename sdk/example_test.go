package sdk_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// A whole adapter is a BlockAdapter with a work function. In a plugin's
// main it is served with sdk.Serve(greeter); here it runs one block
// against an in-memory store, the way the host drives it.
func ExampleBlockAdapter() {
	greeter := &sdk.BlockAdapter{
		Info:       sdk.Info{Name: "greeter", Version: "1.0.0", Hints: []string{"greet"}},
		Idempotent: true, // greeting twice does no harm: a crash just runs it again
		Work: func(_ context.Context, job sdk.Job) (map[string]any, error) {
			name, _ := job.Inputs["name"].(string)
			if name == "" {
				return nil, sdk.Failf("no_name", "whom should I greet?")
			}
			return map[string]any{"greeting": "Hello, " + name + "!"}, nil
		},
	}
	block := core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "Greet", ExecutionHints: []string{"greet"},
		Inputs:  []core.PortDescriptor{{Name: "name", Required: true}},
		Outputs: []core.PortDescriptor{{Name: "greeting", Required: true}},
	}
	for _, inputs := range []map[string]any{{"name": "Ada"}, {"name": ""}, {}} {
		b := runOnce(greeter, block, inputs)
		if b.State == execution.StateCompleted {
			fmt.Println(b.State, b.Outputs()["greeting"])
		} else {
			fmt.Println(b.State, b.FailureReason())
		}
	}
	// Output:
	// completed Hello, Ada!
	// failed whom should I greet?
	// failed block "Greet" v1: required input "name" is missing
}

// runOnce does what the host does — record `created`, ask the adapter to
// execute — and waits for the execution to end.
func runOnce(a sdk.Adapter, block core.WorkBlock, inputs map[string]any) execution.BlockExecution {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()
	id := uuid.New()
	created, _ := execution.NewEvent(id, execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "host"},
		execution.Created{Kind: execution.KindBlock, FlowExecutionID: uuid.New(), WorkBlockID: block.ID, WorkBlockVersion: block.Version, Inputs: inputs, Attempt: 1})
	stored, _ := s.Append(ctx, []execution.Event{created}, store.ExpectSequence(0))
	sub, _ := s.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id})
	defer sub.Close()
	_, _ = a.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: id, Block: block, Inputs: inputs, Attempt: 1, Sequence: stored[0].Sequence, Store: s})
	for ev, err := sub.Next(ctx); err == nil && !ev.EventType.IsTerminal(); ev, err = sub.Next(ctx) {
	}
	events, _ := s.Events(ctx, id, 0)
	b, _ := execution.ProjectBlock(events)
	return b
}

// Failf gives a failure a machine-readable code; FailureOf turns any error
// into the payload of a `failed` event.
func ExampleFailf() {
	err := sdk.Failf("exit_status", "the command exited with status %d", 2)
	fmt.Printf("%+v\n", sdk.FailureOf(err))
	fmt.Printf("%+v\n", sdk.FailureOf(fmt.Errorf("plain: %w", context.DeadlineExceeded)))
	// Output:
	// {Reason:the command exited with status 2 Code:exit_status Details:map[]}
	// {Reason:plain: context deadline exceeded Code:error Details:map[]}
}

// Ports checks values against a block's ports and their JSON schemas, and
// words what is wrong as a block failure.
func ExamplePorts() {
	block := core.WorkBlock{Name: "Triage", Version: 1,
		Inputs: []core.PortDescriptor{
			{Name: "ticket", Required: true, Schema: map[string]any{"type": "string", "pattern": "^[A-Z]+-[0-9]+$"}},
		}}
	var ports sdk.Ports
	for _, inputs := range []map[string]any{{"ticket": "OPS-7"}, {"ticket": "ops 7"}, {"tikcet": "OPS-7"}} {
		err := ports.CheckInputs(block, inputs)
		if err == nil {
			fmt.Println("ok")
			continue
		}
		f := sdk.FailureOf(err)
		fmt.Println(f.Code+":", strings.SplitN(f.Reason, " does not match", 2)[0])
	}
	// Output:
	// ok
	// bad_input: block "Triage" v1: input "ticket": "ops 7"
	// bad_input: block "Triage" v1: required input "ticket" is missing; names input "tikcet" not declared by the block (declared: ticket)
}
