package sdk

import (
	"errors"
	"fmt"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Sentinel errors of the plugin boundary. Like the store's sentinels, they
// keep their identity across the wire: errors.Is matches them on either
// side.
var (
	// ErrNotGranted: a plugin tried to write to an execution the host did
	// not give it (by ExecuteBlock, ResumeBlock, CancelBlock, or, for a
	// condition decision, EvaluateCondition). It also matches
	// store.ErrInvalid, for callers that only know the store's errors.
	ErrNotGranted = fmt.Errorf("%w: execution was not given to this plugin", store.ErrInvalid)
	// ErrMalformedRequest: a request could not be decoded (bad JSON, a bad
	// UUID, a missing store). The peer is unharmed; the call is refused.
	ErrMalformedRequest = errors.New("malformed plugin request")
	// ErrUnsupported: the adapter does not offer the capability asked for
	// (e.g. judging description-only conditions).
	ErrUnsupported = errors.New("not supported by this adapter")
	// ErrUndeclaredOutput: an outcome names an output port the block does
	// not declare. Nothing was appended.
	ErrUndeclaredOutput = errors.New("output port not declared by the block")
	// ErrMissingOutput: a block was completed without a required output;
	// the Emitter recorded it as failed instead.
	ErrMissingOutput = errors.New("required output not produced")
	// ErrWrongExecution: an event was handed to an Emitter bound to another
	// execution. Nothing was appended.
	ErrWrongExecution = errors.New("event belongs to another execution")
	// ErrShuttingDown is the cause Tasks.Shutdown cancels work with: the
	// plugin process is exiting, and the work will be resumed by the next.
	ErrShuttingDown = errors.New("plugin shutting down")
	// ErrNoPredicate: a condition has no structured predicate, so it must
	// be judged by a person or an agent rather than evaluated.
	ErrNoPredicate = errors.New("condition has no predicate")
)

// BlockError is an error that says how a block failed: its Failure becomes
// the payload of the `failed` event when the error reaches Emitter.Run or
// Emitter.FailErr. Create one with Failf.
type BlockError struct {
	Failure execution.Failure
	// Err is the underlying cause, if any.
	Err error
}

func (e *BlockError) Error() string { return e.Failure.Reason }

// Unwrap exposes the cause.
func (e *BlockError) Unwrap() error { return e.Err }

// Failf returns a BlockError with a machine-readable code (e.g.
// "exit_status", "bad_input") and a formatted reason. A %w verb in format
// records the wrapped error as the cause.
func Failf(code, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &BlockError{
		Failure: execution.Failure{Reason: err.Error(), Code: code},
		Err:     errors.Unwrap(err),
	}
}

// FailureOf turns any error into the payload of a `failed` event: a
// BlockError keeps its code and details; any other error becomes a failure
// with code "error" and the error's text as the reason.
func FailureOf(err error) execution.Failure {
	var be *BlockError
	if errors.As(err, &be) {
		f := be.Failure
		if f.Reason == "" {
			f.Reason = "block failed without a reason"
		}
		return f
	}
	return execution.Failure{Reason: err.Error(), Code: "error"}
}
