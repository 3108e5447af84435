package manual_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/plugins/manual/manual"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
)

// rejectMe is the pull request the conformance suite's reviewer fails.
const rejectMe = "https://example.invalid/pr/cannot-review"

// TestConformance runs sdk/plugintest's checks on the manual plugin, with
// a reviewer (Config.Act) who completes each task — or fails it, for the
// Fail inputs — once the plugin has recorded it.
func TestConformance(t *testing.T) {
	plugintest.Run(t, func(testing.TB) sdk.Adapter { return manual.New(manual.Options{}) }, plugintest.Config{
		Block:   reviewBlock(nil),
		Succeed: map[string]any{"pull_request_url": "https://example.invalid/pr/1"},
		Fail:    map[string]any{"pull_request_url": rejectMe},
		// A task waits for its person: it is always running long enough
		// to be cancelled.
		Slow: map[string]any{"pull_request_url": "https://example.invalid/pr/2"},
		Act:  review,
	})
}

// review plays the person: it waits for the task, then records the
// verdict (or the failure) with its expected sequence, as the host's task
// service does.
func review(ctx context.Context, s store.EventStore, id uuid.UUID, inputs map[string]any) error {
	for {
		events, err := s.Events(ctx, id, 0)
		if err != nil {
			return err
		}
		b, err := execution.ProjectBlock(events)
		if err != nil {
			return err
		}
		if b.State.IsTerminal() {
			return nil // the plugin ended it (bad inputs)
		}
		if hasTask(events) {
			return decide(ctx, s, id, inputs, events[len(events)-1].Sequence)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no task was recorded: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func hasTask(events []execution.Event) bool {
	for _, ev := range events {
		var p manual.TaskPayload
		if ev.EventType == execution.EventProgress && ev.DecodePayload(&p) == nil && p.Type == manual.ProgressTask {
			return true
		}
	}
	return false
}

func decide(ctx context.Context, s store.EventStore, id uuid.UUID, inputs map[string]any, seq uint64) error {
	person := &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "reviewer"}
	var end []execution.Event
	if inputs["pull_request_url"] == rejectMe {
		failed, err := execution.NewEvent(id, execution.EventFailed, person, execution.Failure{Code: "declined", Reason: "the reviewer could not review it"})
		if err != nil {
			return err
		}
		end = append(end, failed)
	} else {
		outcome, err := execution.NewEvent(id, execution.EventOutcomeProduced, person, execution.Outcome{"verdict": "approved"})
		if err != nil {
			return err
		}
		completed, err := execution.NewEvent(id, execution.EventCompleted, person, nil)
		if err != nil {
			return err
		}
		end = append(end, outcome, completed)
	}
	_, err := s.Append(ctx, end, store.ExpectSequence(seq))
	return err
}
