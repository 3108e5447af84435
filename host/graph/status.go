package graph

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

// NodeStatus is what a run did at one node.
type NodeStatus struct {
	// State of the node's latest block execution; "" when the run has not
	// reached the node.
	State      execution.State `json:"state,omitempty"`
	Attempts   int             `json:"attempts,omitempty"`   // of the latest iteration
	Iterations int             `json:"iterations,omitempty"` // runs of the node in a loop
	Items      int             `json:"items,omitempty"`      // for_each items created
	ItemsDone  int             `json:"items_done,omitempty"` // of which completed
	Duration   time.Duration   `json:"duration_ns,omitempty"`
	Reason     string          `json:"reason,omitempty"`
}

// Decorate sets each node's status, by node id; nodes without one are
// drawn as not reached.
func (g *Graph) Decorate(status map[uuid.UUID]NodeStatus) {
	for i := range g.Nodes {
		s := status[g.Nodes[i].ID]
		g.Nodes[i].Status = &s
	}
}

// Palette: the fill and text colour of each state, chosen to be told apart
// by people with the common colour-vision deficiencies too (blue for
// running, green for done, red for failed, greys for what did not run).
var palette = map[execution.State][2]string{
	execution.StateCompleted:  {"#2e7d32", "#ffffff"},
	execution.StateFailed:     {"#c62828", "#ffffff"},
	execution.StateInProgress: {"#1565c0", "#ffffff"},
	execution.StatePending:    {"#90caf9", "#0d1b2a"},
	execution.StateCancelled:  {"#6d4c41", "#ffffff"},
	execution.StateSkipped:    {"#bdbdbd", "#212121"},
}

// notReached is the colour of a node the run never got to.
var notReached = [2]string{"#ffffff", "#616161"}

// Colour returns the fill and text colour the drawing uses for a state
// ("" for not reached).
func Colour(s execution.State) (fill, text string) {
	c, ok := palette[s]
	if !ok {
		c = notReached
	}
	return c[0], c[1]
}

func (s *NodeStatus) colours() (string, string) { return Colour(s.State) }

// lines are the status lines of a node's label.
func (s *NodeStatus) lines() []string {
	if s.State == "" {
		return []string{"not reached"}
	}
	parts := []string{string(s.State)}
	if s.Attempts > 1 {
		parts = append(parts, fmt.Sprintf("%d attempts", s.Attempts))
	}
	if s.Duration > 0 {
		parts = append(parts, s.Duration.Round(time.Millisecond).String())
	}
	lines := []string{strings.Join(parts, " · ")}
	if s.Iterations > 1 {
		lines = append(lines, fmt.Sprintf("iteration %d", s.Iterations))
	}
	if s.Items > 0 {
		lines = append(lines, fmt.Sprintf("items %d/%d done", s.ItemsDone, s.Items))
	}
	return lines
}
