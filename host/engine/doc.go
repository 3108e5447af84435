// Package engine runs flows and contracts: it walks each flow execution's
// graph, dispatches blocks to adapter plugins, decides edge conditions,
// runs loops and for_each nodes, enforces deadlines, retries, cancels,
// runs contracts with their assessments, and resumes everything after a
// crash.
//
// # Decide, then execute
//
// Every semantic rule lives in package decide, as a pure function: for a
// flow execution, decide.Flow(plan, view, now) returns the actions that
// bring it one step closer to its end; decide.Contract does the same for a
// contract execution. This package is the executor: it keeps each open
// flow's view (a cache of the log), calls the decision, and performs the
// actions — appends with deterministic ids, plugin calls, timers. So every
// rule is tested on the pure function alone (decide's TestFlowScenarios)
// and the executor is tested for crash safety (TestCrashAtEveryAppend,
// TestCrashAtEveryAppendInALoop).
//
// # One source of truth
//
// The engine keeps no bookkeeping of its own. Its core is an idempotent
// reconcile of one execution: read the execution's log and its children's
// logs from the store, decide, and do it with appends. Every id the engine
// writes — block execution ids (from the node, iteration, for_each item and
// attempt), child flow and contract execution ids, the ids of the events
// it appends — is a UUIDv5 of the owning execution's id and what it is
// for, and the store treats an append of stored ids as a no-op. So a
// reconcile can be repeated at any time, and a host killed at any instant
// is picked up by running reconcile again on what the store holds: nothing
// is done twice. The blocks the host ends at once (skips, failures) are
// appended one after the other, before the blocks for plugins, so a later
// decision finds a skip that follows from another skip after it in the
// store, as loops need (see decide, "Loops").
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
//   - Cycles are loops: taking an edge into a node that already ran runs
//     it again as a new block execution with the next iteration (1, 2, …
//     in the created payload), bounded by max_iterations (node, else flow
//     metadata, else 25); beyond it the node fails with "iteration limit
//     N", which no retry changes. Joins inside a loop wait for every branch
//     of the same round; a loop's exit waits until the loop can no longer
//     go round; the outputs of a node are those of its latest iteration.
//     The precise rules are decide's ("Loops").
//   - for_each (node metadata {items, as, max_concurrency}) runs one block
//     execution per item (index 0, 1, … in the created payload); the
//     node's outputs are lists in item order; one item failing for good
//     fails the node; an empty list completes it with empty lists; more
//     than 10,000 items fail it.
//   - Inputs are wired edge by edge in definition order (explicit port
//     mappings, else same-name); a required input nothing supplies fails
//     the block before any plugin runs, with a reason naming what was
//     considered.
//   - A block's created event (inputs, attempt, iteration, index, deadline,
//     node, block, triggered_by: the block executions whose completion
//     activated it) is appended before the plugin is called. A plugin call
//     that fails or times out fails the block with the reason.
//   - A block with a timeout (node or block metadata) that is not terminal
//     at its deadline — recorded in its created event, so it survives
//     restarts — is failed by the host with a reason naming the timeout,
//     and its plugin is asked to cancel it; its retry policy then applies.
//   - A failed block with a retry policy left (metadata "retry", see
//     core.ParseRetry) gets a new block execution, attempt n+1, after its
//     backoff. Otherwise the flow stops: nothing new starts, running
//     blocks are cancelled, and once nothing runs the flow ends failed.
//   - The flow ends completed when the derived state is completed; its
//     outputs are its terminal nodes' outputs by alias. A flow that can
//     make no more progress (nothing runs or is being decided, and a
//     terminal node never ran) ends failed, code "stuck", naming it.
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
//
// # Extension points
//
// Timers, signals and claims fit the split without a new kind of decision:
//
//   - A built-in adapter (openoma.timer, openoma.signal) is an Adapter the
//     host serves in process: Adapters.ForBlock routes those hints to it,
//     the executor creates and dispatches its blocks as any other. A block
//     that records a waiting progress event (sdk.ProgressWaiting) holds
//     no slot of its plugin's concurrency from then on. A timer records its due time in its
//     block's log; a decision sees it as it sees decide.Block.Deadline and
//     asks to be woken (decide.WakeAt), so it fires at the recorded time
//     after a restart.
//   - A signal is an append to the waiting block's log (its outcome and
//     completion); the block's terminal event wakes the flow as any does.
//     A signal that arrives before its block waits is kept on the flow's
//     log, where the view can carry it to the block's adapter.
//   - A claim (a rerun sharing a completed block execution, §5.5) is a
//     block in the view that another flow execution created: Rerun
//     records the claims decide.PlanRerun chooses as claim progress events
//     in the same atomic append as the new execution's created event, the
//     view puts each claimed block execution in its node's slot, and the
//     decision reads it like an owned one. The claimed execution and the
//     old flow's log are never written. A contract claims flow and
//     sub-contract executions the same way: claim_execution events on its
//     log fill slots of decide.ContractView.Children with the claimed
//     executions' states (ContractView.Claimed), and a contract's rerun
//     creates the children that did not complete as reruns of the old
//     ones (ContractView.RerunOf).
package engine
