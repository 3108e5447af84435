package plugintest_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/sdk/internal/testadapter"
	"github.com/openoma/openoma/sdk/plugintest"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
	"github.com/openoma/openoma/store/storetest"
)

func echoBlock() core.WorkBlock {
	return core.WorkBlock{
		ID: uuid.New(), Version: 1, Name: "echo",
		Inputs: []core.PortDescriptor{
			{Name: "message", Required: true},
			{Name: "fail"}, {Name: "sleep"},
		},
		Outputs:        []core.PortDescriptor{{Name: "message", Required: true}},
		ExecutionHints: []string{"echo"},
	}
}

func TestEchoConformance(t *testing.T) {
	plugintest.Run(t, func(testing.TB) sdk.Adapter { return testadapter.NewEcho() }, plugintest.Config{
		Block:   echoBlock(),
		Succeed: map[string]any{"message": "hello"},
		Fail:    map[string]any{"message": "hello", "fail": true},
		Slow:    map[string]any{"message": "hello", "sleep": "1m"},
	})
}

func TestBrokeredStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.EventStore {
		host := memory.New()
		t.Cleanup(func() { _ = host.Close() })
		return plugintest.BrokeredStore(t, host)
	})
}
