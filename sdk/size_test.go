package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// TestRealPluginCarriesLargeValues sends inputs of up to 64 MiB to a real
// plugin process and gets them back as outputs through the brokered store
// (gRPC's default limit is 4 MiB each way). Under -race it stops at 5 MiB,
// which is still over gRPC's default.
func TestRealPluginCarriesLargeValues(t *testing.T) {
	_, a, err := launch(t, "plugin", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Generous: under -race, encoding 64 MiB of JSON takes long.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sizes := []int{100 << 10, 5 << 20, 64 << 20}
	if raceDetector {
		sizes = sizes[:2]
	}
	for _, size := range sizes {
		s := memory.New()
		value := strings.Repeat("x", size)
		req := newExecution(t, s, echoBlock(), map[string]any{"message": value})
		if _, err := a.ExecuteBlock(ctx, req); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		b := waitEnd(t, ctx, s, req.ExecutionID)
		if b.State != execution.StateCompleted {
			t.Fatalf("%d bytes: state %s (%s)", size, b.State, b.FailureReason())
		}
		if got, _ := b.Outputs()["message"].(string); got != value {
			t.Errorf("%d bytes: the output came back with %d bytes", size, len(got))
		}
		_ = s.Close()
	}
}

// TestTooLargeOutputFailsNamingTheLimit: an outcome bigger than one append
// may carry fails the block with code output_too_large and a reason that
// names the limit, instead of a raw gRPC error and a block left running.
func TestTooLargeOutputFailsNamingTheLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := memory.New()
	defer s.Close()
	block := echoBlock()
	req := newExecution(t, s, block, nil)
	em := req.Emitter(sdk.System("test"))
	big := strings.Repeat("y", sdk.MaxPayloadBytes)
	if err := em.Output(ctx, map[string]any{"message": big}); !errors.Is(err, sdk.ErrTooLarge) {
		t.Fatalf("Output of %d bytes: %v, want ErrTooLarge", len(big), err)
	}
	if err := em.Run(ctx, func(context.Context) (map[string]any, error) {
		return map[string]any{"message": big}, nil
	}); err != nil {
		t.Fatal(err)
	}
	b := waitEnd(t, ctx, s, req.ExecutionID)
	var f execution.Failure
	if b.State != execution.StateFailed || b.Events[len(b.Events)-1].DecodePayload(&f) != nil || f.Code != "output_too_large" {
		t.Fatalf("state %s, failure %+v; want failed with output_too_large", b.State, f)
	}
	for _, want := range []string{"MiB", "sdk.MaxPayloadBytes"} {
		if !strings.Contains(f.Reason, want) {
			t.Errorf("reason %q does not mention %q", f.Reason, want)
		}
	}
}

// TestOverTheWireLimitSaysSo: a request or an append bigger than one gRPC
// message is refused before it is sent, with an error matching
// ErrTooLarge that names the limit — not gRPC's "larger than max".
func TestOverTheWireLimitSaysSo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	big := strings.Repeat("z", sdk.MaxMessageBytes)
	h := plugintest.New(t, testadapter.NewEcho(), plugintest.Options{})
	_, err := h.Adapter.ExecuteBlock(ctx, sdk.ExecuteRequest{ExecutionID: uuid.New(), Block: echoBlock(),
		Inputs: map[string]any{"message": big}, Attempt: 1, Store: h.Store})
	checkTooLarge(t, "ExecuteBlock", err)

	mem := memory.New()
	defer mem.Close()
	brokered := plugintest.BrokeredStore(t, mem)
	ev, err := execution.NewEvent(uuid.New(), execution.EventCreated, &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "test"},
		execution.Created{Kind: execution.KindBlock, Inputs: map[string]any{"message": big}, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = brokered.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
	checkTooLarge(t, "Append", err)
}

func checkTooLarge(t *testing.T, call string, err error) {
	t.Helper()
	if !errors.Is(err, sdk.ErrTooLarge) || !strings.Contains(err.Error(), "sdk.MaxMessageBytes") || strings.Contains(err.Error(), "larger than max") {
		t.Errorf("%s of more than sdk.MaxMessageBytes: %v; want ErrTooLarge naming the limit", call, err)
	}
}
