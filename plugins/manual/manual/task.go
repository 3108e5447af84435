package manual

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// ProgressTask is the "type" of the progress payload that describes a task.
// The host's task service reads the same JSON (host/tasks.TaskPayload).
const ProgressTask = "task"

// Metadata keys the plugin reads, node metadata winning over block metadata.
const (
	KeyAssignee        = "assignee"
	KeyCandidateGroups = "candidate_groups"
	KeyDue             = "due"
	KeyInstructions    = "instructions"
)

// Port is one output port the person fills.
type Port struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Required    bool           `json:"required"`
	Schema      map[string]any `json:"schema,omitempty"`
}

// TaskPayload is the payload of the task's progress event.
type TaskPayload struct {
	Type            string         `json:"type"` // ProgressTask
	Title           string         `json:"title"`
	Description     string         `json:"description,omitempty"`
	Instructions    string         `json:"instructions,omitempty"`
	BlockName       string         `json:"block_name"`
	BlockVersion    int            `json:"block_version"`
	Node            string         `json:"node,omitempty"`
	Inputs          map[string]any `json:"inputs,omitempty"`
	Outputs         []Port         `json:"outputs"`
	Assignee        string         `json:"assignee,omitempty"`
	CandidateGroups []string       `json:"candidate_groups,omitempty"`
	// Due is when the task should be done (RFC 3339), from the `due`
	// metadata: an absolute time, or a duration counted from the block
	// execution's creation.
	Due *time.Time `json:"due,omitempty"`
}

// Assignment is who a task is for: a person, candidate groups, or nobody
// in particular.
type Assignment struct {
	Assignee        string
	CandidateGroups []string
}

// Executor is how the assignment is recorded on executor_assigned: a human
// executor named after the person, or "group:<g>[,<g>…]", or "unassigned".
// Its metadata "kind" says which ("person", "group", "unassigned").
func (a Assignment) Executor() execution.ExecutorInfo {
	switch {
	case a.Assignee != "":
		return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: a.Assignee,
			Metadata: map[string]any{"kind": "person", "assigned_by": "plugin:" + Name}}
	case len(a.CandidateGroups) > 0:
		groups := make([]any, len(a.CandidateGroups))
		for i, g := range a.CandidateGroups {
			groups[i] = g
		}
		return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "group:" + strings.Join(a.CandidateGroups, ","),
			Metadata: map[string]any{"kind": "group", "groups": groups, "assigned_by": "plugin:" + Name}}
	}
	return execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "unassigned",
		Metadata: map[string]any{"kind": "unassigned", "assigned_by": "plugin:" + Name}}
}

// buildTask describes the task of block in node with inputs, created at
// created. Bad metadata gives an error naming the block, node and key.
func buildTask(block core.WorkBlock, node core.NodeReference, inputs map[string]any, created time.Time) (TaskPayload, Assignment, error) {
	where := block.Describe()
	if node.Alias != "" && node.Alias != block.Name {
		where = fmt.Sprintf("%s (node %q)", where, node.Alias)
	}
	var errs []string
	var a Assignment
	if s, from, ok := lookup(block.Metadata, node.Metadata, KeyAssignee); ok {
		v, isString := s.(string)
		if !isString || strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Sprintf("%s metadata %q must be a person's name (a non-empty string), got %v", from, KeyAssignee, s))
		}
		a.Assignee = strings.TrimSpace(v)
	}
	if s, from, ok := lookup(block.Metadata, node.Metadata, KeyCandidateGroups); ok {
		groups, err := stringList(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s metadata %q: %v", from, KeyCandidateGroups, err))
		}
		a.CandidateGroups = groups
	}
	var due *time.Time
	if s, from, ok := lookup(block.Metadata, node.Metadata, KeyDue); ok {
		t, err := ParseDue(s, created)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s metadata %q: %v", from, KeyDue, err))
		}
		due = t
	}
	var instructions string
	if s, from, ok := lookup(block.Metadata, node.Metadata, KeyInstructions); ok {
		v, isString := s.(string)
		if !isString {
			errs = append(errs, fmt.Sprintf("%s metadata %q must be text, got %v", from, KeyInstructions, s))
		}
		instructions = v
	}
	if len(errs) > 0 {
		return TaskPayload{}, a, fmt.Errorf("%s: %s", where, strings.Join(errs, "; "))
	}
	outputs := make([]Port, len(block.Outputs))
	for i, p := range block.Outputs {
		outputs[i] = Port{Name: p.Name, Description: p.Description, Required: p.Required, Schema: p.Schema}
	}
	title := block.Name
	if node.Alias != "" && !strings.EqualFold(node.Alias, block.Name) {
		title = fmt.Sprintf("%s (%s)", block.Name, node.Alias)
	}
	return TaskPayload{
		Type: ProgressTask, Title: title, Description: block.Description, Instructions: instructions,
		BlockName: block.Name, BlockVersion: block.Version, Node: node.Alias,
		Inputs: inputs, Outputs: outputs,
		Assignee: a.Assignee, CandidateGroups: a.CandidateGroups, Due: due,
	}, a, nil
}

func lookup(block, node core.Metadata, key string) (any, string, bool) {
	if v, ok := node[key]; ok {
		return v, "node", true
	}
	if v, ok := block[key]; ok {
		return v, "block", true
	}
	return nil, "", false
}

// stringList accepts a list of names or one comma-separated string.
func stringList(v any) ([]string, error) {
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

// ParseDue reads a `due` value: an RFC 3339 time, or a duration from
// created — a Go duration ("48h", "90m") or whole days ("3d").
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
