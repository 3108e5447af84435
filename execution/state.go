package execution

// State is an execution's derived state (§3.1).
type State string

// The canonical states.
const (
	StatePending    State = "pending"
	StateInProgress State = "in_progress"
	StateCompleted  State = "completed"
	StateFailed     State = "failed"
	StateSkipped    State = "skipped"
	StateCancelled  State = "cancelled"
)

// IsTerminal reports whether s is final: completed, failed, skipped or
// cancelled.
func (s State) IsTerminal() bool {
	switch s {
	case StateCompleted, StateFailed, StateSkipped, StateCancelled:
		return true
	}
	return false
}

// StateOf maps a terminal event type to the state it produces, and any other
// type to "".
func StateOf(t EventType) State {
	switch t {
	case EventCompleted:
		return StateCompleted
	case EventFailed:
		return StateFailed
	case EventSkipped:
		return StateSkipped
	case EventCancelled:
		return StateCancelled
	}
	return ""
}
