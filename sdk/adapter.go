package sdk

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/store"
)

// ErrUnavailable marks a call that failed because the plugin process is
// gone (crashed, killed, restarting). The block it concerned is not failed:
// the host resumes it when the plugin is back.
var ErrUnavailable = errors.New("plugin unavailable")

// ProtocolVersion is the version of the host↔plugin protocol. The handshake
// refuses a plugin built for another version.
const ProtocolVersion = 1

// Info describes a plugin to the host.
type Info struct {
	Name    string
	Version string
	// Hints lists the execution hints the plugin serves; the host checks
	// that every hint routed to the plugin is among them. "*" serves any.
	Hints []string
	// Conditions reports whether the plugin judges description-only
	// conditions (EvaluateCondition).
	Conditions bool
	// ProtocolVersion is filled by the SDK.
	ProtocolVersion int
}

// ExecuteRequest asks an adapter to run one block execution. The host has
// already appended the execution's `created` event (with the inputs and the
// attempt number) before it calls ExecuteBlock.
type ExecuteRequest struct {
	ExecutionID     uuid.UUID
	FlowExecutionID uuid.UUID
	Block           core.WorkBlock
	Node            core.NodeReference
	Inputs          map[string]any
	Attempt         int
	// Sequence is the sequence of the last event the host appended to the
	// execution (its created event), so an Emitter can use optimistic
	// concurrency without reading the log first; 0 means unknown.
	Sequence uint64
	// Store is the event store to record the execution in. Across the
	// plugin boundary it is the host's store, brokered over gRPC.
	Store store.EventStore
}

// ResumeRequest asks an adapter to continue a block execution from the last
// event of its log, after a plugin or host restart.
type ResumeRequest struct {
	ExecutionID     uuid.UUID
	FlowExecutionID uuid.UUID
	Block           core.WorkBlock
	Node            core.NodeReference
	Store           store.EventStore
}

// CancelRequest asks an adapter to abort a block execution.
type CancelRequest struct {
	ExecutionID uuid.UUID
	Reason      string
	Store       store.EventStore
}

// ConditionContext is what a condition is judged on: the flow run's inputs,
// the outputs of the edge's source node, and the source block's metadata.
type ConditionContext struct {
	FlowInputs    map[string]any
	SourceOutputs map[string]any
	// Source describes the source node: block name, version, alias and
	// metadata (node metadata wins over block metadata).
	Source   map[string]any
	Flow     map[string]any
	Metadata map[string]any
}

// ConditionRequest asks an adapter to judge one edge's condition.
type ConditionRequest struct {
	// RequestID identifies this question; a deferred answer recorded later
	// on the flow execution's log carries it.
	RequestID       uuid.UUID
	FlowExecutionID uuid.UUID
	Condition       core.Condition
	Context         ConditionContext
	// EdgeIndex is the edge's index in the flow definition, and
	// SourceExecutionID the block execution whose completion raised the
	// question (uuid.Nil for entry edges): a deferred decision records both.
	EdgeIndex         int
	SourceExecutionID uuid.UUID
	// Store is the host's store, to record a deferred decision on the flow
	// execution's log (see Decide); nil when the host sends none.
	Store store.EventStore
}

// ConditionResult is an adapter's answer. When Pending is true the decision
// is not known yet (a person is deciding); it will arrive later as a
// condition-decision progress event on the flow execution's log, carrying
// the request id.
type ConditionResult struct {
	Pending bool
	Value   bool
	Reason  string
}

// Adapter is the spec's ExecutionAdapter (§4.2), with a context first on
// every call. ExecuteBlock must return quickly: long work continues after it
// returns and its outcome travels as events through req.Store.
type Adapter interface {
	Describe(ctx context.Context) (Info, error)
	ExecuteBlock(ctx context.Context, req ExecuteRequest) (uuid.UUID, error)
	ResumeBlock(ctx context.Context, req ResumeRequest) error
	CancelBlock(ctx context.Context, req CancelRequest) error
	EvaluateCondition(ctx context.Context, req ConditionRequest) (ConditionResult, error)
}
