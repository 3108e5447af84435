// Package engine runs flows and contracts: it walks each flow execution's
// graph, dispatches blocks to adapter plugins, decides edge conditions,
// retries, cancels, runs contracts with their assessments, and resumes
// everything after a crash.
//
// # One source of truth
//
// The engine keeps no bookkeeping of its own. Its core is an idempotent
// reconcile of one execution: read the execution's log and its children's
// logs from the store, derive where it stands (with the execution
// package's derivation functions), decide what must happen next, and do it
// with appends. Every id the engine writes — block execution ids, child
// flow and contract execution ids, the ids of the events it appends — is a
// UUIDv5 of the owning execution's id and what it is for, and the store
// treats an append of stored ids as a no-op. So a reconcile can be repeated
// at any time, and a host killed at any instant is picked up by running
// reconcile again on what the store holds: nothing is done twice.
//
// The engine learns of progress by following the store: a block
// execution's terminal event (appended by its plugin through the brokered
// store) wakes its flow; a flow's end wakes its contract. Reconciles of one
// execution are serialised and coalesced (a burst of events gives one
// reconcile); different executions are reconciled in parallel.
//
// # Flow semantics
//
//   - Entry edges take the run's inputs (by port mapping, source_port being
//     a run input's name, or by the same name); a node with no incoming
//     edge at all takes the run inputs by name.
//   - When a node's latest attempt completes, each outgoing edge is decided:
//     no condition — taken; {"cel": …} — evaluated by the host; a
//     description only — asked of the conditions plugin, whose answer may
//     come later (Pending) as a condition-decision progress event on the
//     flow's log. Every decision is recorded on the flow's log.
//   - A node runs when every incoming edge is decided and one is taken; when
//     all are dead it is recorded skipped and its own edges die
//     (dead-path elimination), so skipped terminal nodes let the flow
//     complete.
//   - Inputs are wired edge by edge in definition order (explicit port
//     mappings, else same-name); a required input nothing supplies fails
//     the block before any plugin runs, with a reason naming what was
//     considered.
//   - A block's created event (inputs, attempt, node, block, triggered_by:
//     the block executions whose completion activated it) is appended
//     before the plugin is called. A plugin call that fails or times out
//     fails the block with the reason.
//   - A failed block with a retry policy left (node metadata "retry", see
//     MetadataRetry) gets a new block execution, attempt n+1, after its
//     backoff. Otherwise the flow stops: nothing new starts, running
//     blocks are cancelled, and once nothing runs the flow ends failed.
//   - The flow ends completed when the derived state is completed; its
//     outputs are its terminal nodes' outputs by alias.
//   - Flows with cycles are refused before anything is recorded.
//
// # Contracts
//
// A contract execution starts its work flows and sub-contracts together
// (run inputs go to each). Once the work side's derived state is
// completed, each assessment binding runs its test flows, then its
// assessment flow with the run inputs, the work flows' and the test flows'
// terminal outputs wired to its entry inputs by name; the single terminal
// node's outputs become the AssessmentResult, recorded on the contract's
// log. The contract ends with the work side's state; Status reports the
// verdicts apart ("work completed" versus "outcomes met").
//
// # Recovery
//
// Recover reconciles every open execution in parallel; open blocks go back
// to their plugins (ExecuteBlock again when the plugin never recorded
// anything, else ResumeBlock). PluginRestarted does the same for the
// blocks of one plugin whose process died, after recording
// executor_released for the executor it had assigned.
package engine
