package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// refusingOutcomes is a store that refuses every append with an outcome,
// as a store refuses a value too big for it.
type refusingOutcomes struct{ store.EventStore }

func (s refusingOutcomes) Append(ctx context.Context, events []execution.Event, opts store.AppendOptions) ([]execution.Event, error) {
	for _, ev := range events {
		if ev.EventType == execution.EventOutcomeProduced {
			return nil, errors.New("value with size 67109061 exceeded the limit: " + strings.Repeat("q", 10000))
		}
	}
	return s.EventStore.Append(ctx, events, opts)
}

// TestRunRecordsARefusedOutcome: when the store refuses the outcome
// itself, Run records the failure instead of leaving the execution
// running for good, with the store's reason cut to a readable length.
func TestRunRecordsARefusedOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mem := memory.New()
	defer mem.Close()
	s := refusingOutcomes{mem}
	req := newExecution(t, s, echoBlock(), map[string]any{"message": "m"})
	em := req.Emitter(sdk.System("test"))
	if err := em.Run(ctx, func(context.Context) (map[string]any, error) {
		return map[string]any{"message": "m"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	b := waitEnd(t, ctx, mem, req.ExecutionID)
	var f execution.Failure
	if b.State != execution.StateFailed || b.Events[len(b.Events)-1].DecodePayload(&f) != nil || f.Code != "record_failed" {
		t.Fatalf("state %s, failure %+v; want failed with record_failed", b.State, f)
	}
	if !strings.Contains(f.Reason, "exceeded the limit") || len(f.Reason) > 1000 {
		t.Errorf("reason (%d bytes) %.120q: want the store's reason, cut short", len(f.Reason), f.Reason)
	}
}
