// Package manual is the manual adapter: a block routed to it becomes a
// task for a person, recorded only in the block execution's event log.
//
// ExecuteBlock appends, in one atomic append with deterministic event ids,
//
//   - executor_assigned: the person or group the task is for, from the
//     metadata keys `assignee` and `candidate_groups` (node metadata wins
//     over block metadata), or "unassigned";
//   - started;
//   - progress with a TaskPayload (type "task"): what the person needs —
//     the block's description, the inputs, the output ports to fill with
//     their JSON schemas, the instructions and the due time.
//
// Nothing else happens in the plugin: the person completes the task through
// the host (package host/tasks), which validates the outputs and appends
// outcome_produced and completed itself. So the task survives any restart of
// the plugin or the host: ResumeBlock finds it still pending in the log (and
// only re-records the assignment that a plugin restart released, or the
// task if a crash came between created and the plugin's first append).
// CancelBlock records cancelled.
//
// EvaluateCondition answers Pending for a description-only condition: a
// person decides. The host records the question on the flow execution's log
// and the person's answer as the condition decision the engine waits for.
package manual
