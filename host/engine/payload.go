package engine

import (
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
)

// The payloads and codes the engine records are defined with the decisions
// that produce them (package decide); these names keep the engine's API.

// The "type" of the progress payloads the engine writes, besides
// execution.ProgressConditionDecision.
const (
	ProgressCancelRequested  = decide.ProgressCancelRequested
	ProgressAssessmentResult = decide.ProgressAssessmentResult
	ProgressForEachItems     = decide.ProgressForEachItems
)

type (
	// CancelRequest is the payload of a cancel_requested progress event.
	CancelRequest = decide.CancelRequest
	// AssessmentRecord is the payload of an assessment_result progress
	// event on a contract execution's log.
	AssessmentRecord = decide.AssessmentRecord
	// Ended is the payload of the terminal event the engine appends to a
	// flow or contract execution.
	Ended = decide.Ended
)

// Failure codes of block executions the host itself fails; see decide.
const (
	CodeMissingInput      = decide.CodeMissingInput
	CodeUnroutable        = decide.CodeUnroutable
	CodeConditionError    = decide.CodeConditionError
	CodeDefinitionMissing = decide.CodeDefinitionMissing
	CodeAdapterError      = decide.CodeAdapterError
	CodeCancelUnconfirmed = decide.CodeCancelUnconfirmed
	CodeIterationLimit    = decide.CodeIterationLimit
	CodeForEachError      = decide.CodeForEachError
	CodeTimeout           = decide.CodeTimeout
)

// MetadataRetry is the metadata key of a node's (or its block's) retry
// policy; core.ParseRetry reads it.
const MetadataRetry = core.MetaRetry

// MetadataPlugin is the key of the created event's metadata that records
// the plugin a block execution was routed to, so recovery resumes it on the
// plugin that owns it even if the routing configuration changed since.
const MetadataPlugin = "plugin"

func hostExecutor() *execution.ExecutorInfo { return decide.HostExecutor() }
