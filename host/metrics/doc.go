// Package metrics exports what the host does as Prometheus metrics:
// executions started and ended by kind and state, block durations by
// plugin and block, blocks in flight per plugin, condition decisions, and
// (read at each scrape) plugin restarts and health, open and overdue
// tasks.
//
// The execution metrics are read from the event log, not counted inside
// the engine: a Recorder follows the store's subscription from the
// position the store had when it started, so every block the host runs —
// whoever records its events, the engine or a plugin through the brokered
// store — is counted once, with its real durations, and the engine keeps
// no instrumentation in its decision path. Blocks already open when the
// recorder starts are seeded from the store so the in-flight gauge is
// right after a restart; their durations count from their created events.
package metrics
