// Package builtin holds the adapters the host serves itself, with no
// plugin process, for the execution hints in the "openoma." space:
//
//   - openoma.timer waits: metadata timer: {wait: "48h"} or {until:
//     "2026-12-24T09:00:00Z"} on the node or its block. The due time is
//     recorded when the timer starts (a progress event {"type": "timer",
//     "due": …}); after a host restart the timer fires at that recorded
//     time, at once if it has passed, never later by the restart.
//   - openoma.signal waits for an external event: `openoma-host signal
//     EXECUTION NAME --output PORT=VALUE…` (or the control API) records a
//     signal on the flow execution, and the waiting block completes with
//     its outputs, the sender recorded as its executor. A signal sent
//     before the block waits is kept in the log and delivered when it does.
//
// Both hold no concurrency slot worth the name (the host gives them no
// limit): waiting costs a timer or a channel, not a plugin's capacity.
package builtin
