package plugintest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// BrokeredStore returns host as a plugin sees it: the store.EventStore an
// adapter receives in its requests, whose every call crosses the gRPC
// shims and go-plugin's broker to host. Writes to any execution are
// allowed (a store conformance suite writes everywhere); an adapter's
// store in a real host is limited to the executions it was given.
//
// Closing the returned store closes only the plugin's handle, as in a
// plugin; host stays open for the caller to close.
func BrokeredStore(t testing.TB, host store.EventStore) store.EventStore {
	t.Helper()
	capture := &storeCapture{got: make(chan store.EventStore, 1)}
	h := New(t, capture, Options{Store: host, AllowAnyExecution: true})
	_, err := h.Adapter.ExecuteBlock(context.Background(), sdk.ExecuteRequest{
		ExecutionID: uuid.New(),
		Block:       core.WorkBlock{ID: uuid.New(), Version: 1, Name: "plugintest-capture"},
		Store:       host,
	})
	if err != nil {
		t.Fatalf("plugintest: reach the brokered store: %v", err)
	}
	return <-capture.got
}

// storeCapture is an adapter that keeps the store of the first request.
type storeCapture struct {
	sdk.NoConditions
	got chan store.EventStore
}

func (c *storeCapture) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "plugintest-store-capture", Hints: []string{"*"}}, nil
}

func (c *storeCapture) ExecuteBlock(_ context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	select {
	case c.got <- req.Store:
	default:
	}
	return req.ExecutionID, nil
}

func (c *storeCapture) ResumeBlock(context.Context, sdk.ResumeRequest) error { return nil }
func (c *storeCapture) CancelBlock(context.Context, sdk.CancelRequest) error { return nil }
