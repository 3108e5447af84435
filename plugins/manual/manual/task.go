package manual

import (
	"fmt"
	"strings"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// The task description the plugin records is an execution.TaskPayload; the
// host's task service reads the same type.
const ProgressTask = execution.ProgressTask

type (
	// Port is one output port the person fills.
	Port = execution.TaskPort
	// TaskPayload is the payload of the task's progress event.
	TaskPayload = execution.TaskPayload
)

// Metadata keys the plugin reads, node metadata winning over block metadata.
const (
	KeyAssignee        = "assignee"
	KeyCandidateGroups = "candidate_groups"
	KeyDue             = "due"
	KeyInstructions    = "instructions"
)

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
		groups, err := execution.ParseGroups(s)
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

// ParseDue reads a `due` value; see execution.ParseDue.
func ParseDue(v any, created time.Time) (*time.Time, error) { return execution.ParseDue(v, created) }
