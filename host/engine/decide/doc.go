// Package decide is the engine's pure decision core: for one flow
// execution (Flow) or one contract execution (Contract), from the
// definition, the execution's view of the log and the current time, the
// list of actions that bring it one step closer to its end. It imports no
// store and no plugin, so the compiler keeps it pure; the engine (package
// engine) reads the view from the store and performs the actions.
//
// # Actions
//
// RecordStart, RecordDecision (a CEL condition the host decided),
// RecordItems (a for_each iteration's items), CreateBlock (a block
// execution for a plugin, with its slot — node, iteration, item, attempt —
// inputs, provenance and deadline), EndBlock (a block execution the host
// ends at once: skipped on a dead path, failed for a missing input, a
// condition error or the iteration limit, completed for a for_each over an
// empty list), Ensure (an open block must be in its plugin's hands),
// AskCondition, CancelBlock, TimeOut, WakeAt, Finish; for contracts
// CreateChild, CancelChild, RecordAssessment. Every action carries, or
// derives with this package's id functions, the deterministic ids it is
// performed with, so performing it twice is performing it once.
//
// # Loops
//
// Edges that close a cycle (back edges: found by a depth-first walk from
// the entry nodes) make loops; the other edges form a DAG, walked in
// topological order. A node's runs are numbered by iteration. An edge is
// fresh for its target when its source's latest run began after the
// target's latest run did (store positions order runs), i.e. it brings
// news the target has not taken in; an entry edge is fresh until the
// target first runs. A node whose latest run ended:
//
//   - waits while a fresh edge is undecided (its source runs, or its
//     condition is being judged), and while any source may still run again
//     before it — an active node (one with open work or a fresh edge that
//     is taken, undecided, or a dead forward edge) reaches that source
//     without passing through the node or anything downstream of it;
//   - runs its next iteration when a fresh edge is taken, with inputs wired
//     from every taken edge, fresh or not (a loop's later round still gets
//     the run inputs and the outputs of sources outside the loop), and
//     triggered_by naming the fresh ones;
//   - is skipped (its next iteration recorded skipped) when every fresh
//     edge is dead and one of them is a forward edge: dead-path elimination
//     carries through one round of a loop;
//   - stays as it is when only back edges brought news and they are dead:
//     that is where a loop exits.
//
// A node's iteration beyond its max_iterations fails with "iteration limit
// N". A DAG is the special case with no back edges, where these rules are
// exactly "a node runs when every incoming edge is decided and one is
// taken; it is skipped when all are dead".
//
// # for_each
//
// A for_each node's iteration evaluates its items (CEL over the run
// inputs and the outputs of the sources of its taken edges), records them
// (RecordItems), and creates one block execution per item, index 0…n-1,
// the item bound to the "as" input, at most max_concurrency in flight. Its
// outputs are lists in item order once every item completed; an item that
// fails for good fails the node (and so stops the flow, cancelling the
// other items); an empty list completes it at once with empty lists.
//
// # Extension points
//
// The view and the actions are shaped for what comes next. A built-in
// timer adapter is a plugin the host serves itself: the engine routes
// openoma.timer blocks to it with CreateBlock as to any plugin, and the
// timer's recorded due time reaches decisions like a deadline does
// (Block.Deadline, WakeAt). A signal adapter is the same, its blocks
// completed by a signal's append.
//
// # Claims (rerun)
//
// A claim (a rerun sharing a completed block execution, §5.5) is a Block
// in the view whose ID belongs to another flow execution (SharedFrom):
// decisions read it like an owned one. PlanRerun chooses the claims of a
// rerun before its first decision — the completed and skipped runs not
// downstream of a failed or cancelled node or of a node named to run again
// — and the engine records them with the new execution's created event,
// so no action is needed to claim.
package decide
