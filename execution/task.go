package execution

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ProgressTask is the "type" of the progress payload that describes work
// for a person (TaskPayload). The manual plugin writes it on the block
// execution's log; the host's task service reads it.
const ProgressTask = "task"

// TaskPort is one output port a person fills in.
type TaskPort struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Required    bool           `json:"required"`
	Schema      map[string]any `json:"schema,omitempty"`
}

// TaskPayload is the payload of a task's progress event: everything a
// person needs to do the work, so the task lives in the log alone.
type TaskPayload struct {
	Type            string         `json:"type"` // ProgressTask
	Title           string         `json:"title"`
	Description     string         `json:"description,omitempty"`
	Instructions    string         `json:"instructions,omitempty"`
	BlockName       string         `json:"block_name"`
	BlockVersion    int            `json:"block_version"`
	Node            string         `json:"node,omitempty"`
	Inputs          map[string]any `json:"inputs,omitempty"`
	Outputs         []TaskPort     `json:"outputs"`
	Assignee        string         `json:"assignee,omitempty"`
	CandidateGroups []string       `json:"candidate_groups,omitempty"`
	// Due is when the task should be done, from the `due` metadata (see
	// ParseDue).
	Due *time.Time `json:"due,omitempty"`
}

// ParseDue reads a `due` metadata value: an RFC 3339 time, or a duration
// counted from created — a Go duration ("48h", "90m") or whole days ("3d").
func ParseDue(v any, created time.Time) (*time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want an RFC 3339 time or a duration like \"48h\", got %v", v)
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	if days, found := strings.CutSuffix(s, "d"); found {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			t := created.Add(time.Duration(n) * 24 * time.Hour).UTC()
			return &t, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("%q is neither an RFC 3339 time nor a positive duration like \"48h\" or \"3d\"", s)
	}
	t := created.Add(d).UTC()
	return &t, nil
}

// ParseGroups reads a list of group names written as a list or as one
// comma-separated string (`candidate_groups` metadata).
func ParseGroups(v any) ([]string, error) {
	var raw []string
	switch x := v.(type) {
	case string:
		raw = strings.Split(x, ",")
	case []any:
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d is %v, want a group name", i, e)
			}
			raw = append(raw, s)
		}
	case []string:
		raw = x
	default:
		return nil, fmt.Errorf("want a list of group names, got %v", v)
	}
	var out []string
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("names no group")
	}
	return out, nil
}
