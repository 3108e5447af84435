// Package tasks is the host's side of people's work: the tasks the manual
// plugin records on block executions, and the yes/no decisions asked for
// description-only conditions.
//
// A task exists only in the event log. The service projects tasks from the
// logs (List, Show), and acts on them by appending events (Claim,
// Complete, Fail, Decide):
//
//   - a completion is validated first — every required output port
//     present, no undeclared port, each value checked against its port's
//     JSON schema — and a rejected completion appends nothing; an accepted
//     one appends outcome_produced and completed in one append with the
//     store's expected-sequence check, so of two people completing the same
//     task at once exactly one succeeds and the other gets ErrConflict;
//   - a decision appends the execution.ConditionDecision progress event the
//     engine waits for on the flow execution's log, with an id derived from
//     the request id, so it is recorded once;
//   - every event names the person as a human executor, with the
//     credential it came by in its metadata (the OS user and uid the
//     control socket identified, or a personal link's id).
//
// Who may act: the service receives an Actor — an identity.Caller that
// the transport resolved (an OS user maps to a person and groups by config
// tasks.people) — and never sees a transport's types; its errors are its
// own, and each transport translates them. A task held by a person can be acted on only by that
// person, one held by groups only by their members, an unassigned one by
// anyone; admins (tasks.admins) may act on any task and on behalf of
// anyone. A refusal says who may act instead.
//
// Deadlines: a task's `due` makes it overdue once passed; with
// tasks.escalation.group set, Run re-assigns tasks that stay overdue for
// tasks.escalation.after to that group (an executor_assigned event with
// metadata escalated: true, recorded once).
package tasks
