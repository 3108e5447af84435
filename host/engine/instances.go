package engine

import (
	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// PluginInstances is what the plugin manager knows of a plugin's
// processes: which one is running, and which one each block execution was
// last handed to. Each launch of a plugin has its own instance id, which
// the host stamps on every event the process records (see
// execution.MetadataPluginInstance).
type PluginInstances interface {
	// IsLive reports whether instanceID names the plugin's running process.
	IsLive(plugin, instanceID string) bool
	// HandedTo returns the process a block execution was last handed to
	// by ExecuteBlock or ResumeBlock, while that process may still hold
	// it.
	HandedTo(plugin string, block uuid.UUID) (instanceID string, ok bool)
}

// PluginRestart tells PluginRestarted which process of a plugin died.
type PluginRestart struct {
	Plugin string
	// DeadInstance is the launch id of the process that exited; it is
	// named in the releases recorded for its blocks.
	DeadInstance string
	// Instances answers which process holds what.
	Instances PluginInstances
}

// onRestart is what a plugin restart does with one open block execution.
type onRestart int

const (
	// leaveAlone: a live process holds the block, or none ever had it.
	leaveAlone onRestart = iota
	// resumeOnly: a dead process was given the block but the log names
	// no plugin process as its executor (it never assigned it, or a
	// person holds it): hand it to the running process.
	resumeOnly
	// releaseAndResume: the block's executor is a process that is gone:
	// record its release, then hand the block to the running process.
	releaseAndResume
)

func (a onRestart) String() string {
	switch a {
	case resumeOnly:
		return "resume"
	case releaseAndResume:
		return "release and resume"
	}
	return "leave alone"
}

// decideOnRestart is the rule for one open block execution of a plugin
// after one of its processes died. It never touches a block the running
// process holds or was given, whatever the log's last assignment says:
// releasing such a block would make that process's next append conflict
// and its work go unrecorded. Everything a process that is gone held is
// released once (by any one restart: the release id is derived from the
// assignment it ends) and resumed.
func decideOnRestart(plugin string, id uuid.UUID, b *execution.BlockExecution, instances PluginInstances) onRestart {
	handed, wasHanded := instances.HandedTo(plugin, id)
	if wasHanded && instances.IsLive(plugin, handed) {
		return leaveAlone
	}
	if x := b.Executor(); x != nil {
		if holder := x.PluginInstance(); holder != "" {
			if instances.IsLive(plugin, holder) {
				return leaveAlone
			}
			return releaseAndResume
		}
	}
	if wasHanded {
		return resumeOnly
	}
	return leaveAlone
}
