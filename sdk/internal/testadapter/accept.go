package testadapter

import (
	"context"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
)

// Accept answers every call at once and does nothing else: the benchmarks
// use it to time a bare round trip across the plugin boundary.
type Accept struct{ sdk.NoConditions }

// Describe names the adapter.
func (Accept) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "accept", Version: "test", Hints: []string{"accept"}}, nil
}

// ExecuteBlock returns the execution id and does no work.
func (Accept) ExecuteBlock(_ context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	return req.ExecutionID, nil
}

// ResumeBlock does nothing.
func (Accept) ResumeBlock(context.Context, sdk.ResumeRequest) error { return nil }

// CancelBlock does nothing.
func (Accept) CancelBlock(context.Context, sdk.CancelRequest) error { return nil }
