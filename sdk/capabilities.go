package sdk

import (
	"context"
	"fmt"
)

// Shutdowner is an optional capability: an adapter that implements it is
// told when its plugin process is about to exit (the host asked it to, or
// the host died), so it can stop child processes and flush state. Work it
// leaves unfinished is resumed by the next plugin process via ResumeBlock.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}

// NoConditions can be embedded in an adapter that does not judge
// conditions: its EvaluateCondition refuses with ErrUnsupported, and
// Describe should leave Info.Conditions false.
type NoConditions struct{}

// EvaluateCondition refuses: the adapter does not judge conditions.
func (NoConditions) EvaluateCondition(ctx context.Context, req ConditionRequest) (ConditionResult, error) {
	return ConditionResult{}, fmt.Errorf("evaluate condition %s: %w", req.RequestID, ErrUnsupported)
}
