// Package execution is the as-built record of openoma work (spec §3): the
// immutable Event, its ten EventTypes, ExecutorInfo, the derived State, the
// BlockExecution, FlowExecution and ContractExecution projections, and the
// pure Derive* functions that compute state from events.
//
// Nothing here mutates a record: state is always recomputed from the log, so
// the same events give the same answer in every process that reads them.
package execution
