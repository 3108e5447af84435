// Package execution is the as-built record of openoma work (spec §3): the
// immutable Event, its ten EventTypes, ExecutorInfo, the derived State, the
// BlockExecution, FlowExecution and ContractExecution projections, and the
// pure Derive* functions that compute state from events.
//
// Nothing here mutates a record: state is always recomputed from the log, so
// the same events give the same answer in every process that reads them.
//
// # Deriving state
//
// DeriveBlockState replays one log (§3.1: the first terminal event
// decides). DeriveFlowState applies the five rules of §3.4 in priority
// order to the latest attempt of each slot — a retry is a new block
// execution for the same slot — and counts skipped terminal nodes as
// satisfied. DeriveContractState applies §3.5 to the work-side flow
// executions and sub-contract executions. It has no parameter for
// assessments on purpose: assessment and test flows never change a
// contract's state, so "work finished" stays apart from "goals met"
// (ContractExecution.AssessmentExecutions holds the verdicts).
//
// # The rules of a log
//
// LogTail.Next holds the rules every event of a log must keep (one
// execution, a known type, created first and only first, nothing but
// administrative events after a terminal one — invariant 7 — and JSON
// payloads). Stores apply it on every append through store.PrepareAppend;
// ValidateLog applies it, plus distinct ids and gap-free sequences, to a
// whole log read from elsewhere. Both report a *LogError that names the
// execution, the event and the rule (ErrMalformedLog or ErrAfterTerminal).
//
// # JSON
//
// Events encode with the field names of the Python openoma models and
// decode the timestamps Python writes: naive ("2025-01-01T10:00:00", taken
// as UTC), "+00:00" and "Z", with or without fractions.
package execution
