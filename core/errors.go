package core

import (
	"fmt"
	"strings"
)

// FieldError is one problem with a definition, located well enough for a
// person to fix it: the file it came from, the entity, and the field path
// inside that entity.
//
//	flows/sprint.yaml: flow "Engineering Sprint Cycle" v1: edges[3].port_mappings[0].source_port: "pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)
type FieldError struct {
	File    string `json:"file,omitempty"`   // source file, if known
	Line    int    `json:"line,omitempty"`   // 1-based line in File, if known
	Entity  string `json:"entity,omitempty"` // e.g. `flow "Engineering Sprint Cycle" v1`; empty for file-level problems
	Path    string `json:"path,omitempty"`   // field path inside the entity, e.g. edges[3].target_id
	Message string `json:"message"`
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Entity != "" {
		b.WriteString(e.Entity)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ErrorList collects every problem found, rather than stopping at the first.
// It is an error when non-empty; errors.As finds its *FieldError elements.
type ErrorList []*FieldError

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap exposes the elements to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns l as an error, or nil when l is empty, so callers can write
// `return errs.Err()` without returning a typed nil.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Describe names an entity the way error messages do: kind, quoted name,
// version.
func Describe(kind Kind, name string, version int) string {
	label := map[Kind]string{KindWorkBlock: "block", KindFlow: "flow", KindContract: "contract"}[kind]
	return fmt.Sprintf("%s %q v%d", label, name, version)
}

// Describe names b for error messages.
func (b *WorkBlock) Describe() string { return Describe(KindWorkBlock, b.Name, b.Version) }

// Describe names f for error messages.
func (f *Flow) Describe() string { return Describe(KindFlow, f.Name, f.Version) }

// Describe names c for error messages.
func (c *Contract) Describe() string { return Describe(KindContract, c.Name, c.Version) }
