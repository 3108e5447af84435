// Package schedule runs flows on a schedule — "a sprint cycle flow runs
// every two weeks" (spec §5.8) — durably.
//
// A schedule lives in the event store as an execution of kind "schedule":
// its created event holds the spec (flow, interval or cron expression,
// inputs, catch-up policy); pause, resume and each fired tick are progress
// events; delete ends it (cancelled). Every tick has a deterministic run
// id (derived from the schedule and the tick's time), so a host that dies
// between starting a tick's run and recording it starts the same run
// again — a no-op — rather than a second one, and no tick is lost: on
// start the scheduler looks at every tick since the last one recorded.
// Ticks missed while no host ran are handled by the catch-up policy: skip
// them, run the latest one, or run them all.
//
// Plan, the decision of which ticks to fire now and when to look next, is
// a pure function of the spec, what the log says and the time.
package schedule
