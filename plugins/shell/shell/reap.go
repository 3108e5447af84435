package shell

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk/procguard"
)

// Marker is the environment entry every process of execution id inherits
// (OPENOMA_EXECUTION_ID=<id>): how the watchdog and a resuming plugin
// recognise what is left of its commands.
func Marker(id uuid.UUID) string { return EnvExecutionID + "=" + id.String() }

// reapStale kills what is left of the commands that a previous plugin
// process started for execution id — normally nothing, since that
// process's watchdog killed it — and reports whether it found any. The
// recorded process group pgid is killed only if some process in it still
// carries the execution's marker (group ids are reused); any process
// carrying the marker is killed wherever it is (one that left the group).
func reapStale(id uuid.UUID, pgid int) bool {
	marker := Marker(id)
	var groups []int
	if procguard.GroupHasMarker(pgid, marker) {
		groups = append(groups, pgid)
	}
	return procguard.Sweep(groups, []string{marker}) > 0 || len(groups) > 0
}
