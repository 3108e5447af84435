package fault

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

// Point is a point of a block's lifecycle after which a plugin can crash:
// one of the sdk's checkpoints, which sdk.Emitter.Run reports to a Plan.
type Point = sdk.Checkpoint

// The lifecycle points, in the order a run reaches them.
const (
	// Assigned: executor_assigned is recorded; the work has not started.
	Assigned = sdk.CheckpointAssigned
	// Started: started is recorded; the work (the command, the model call)
	// has not begun.
	Started = sdk.CheckpointStarted
	// Progress: a progress event is recorded; the work is under way.
	Progress = sdk.CheckpointProgress
	// Output: outcome_produced is recorded (for a block without outputs:
	// the work is done), completed is not.
	Output = sdk.CheckpointOutput
)

// Points lists the lifecycle points in order.
var Points = []Point{Assigned, Started, Progress, Output}

// ErrBadSpec is wrapped by every error about malformed fault metadata.
var ErrBadSpec = errors.New("bad fault injection metadata")

// Spec is one fault injection request.
type Spec struct {
	// CrashAfter is the point after which the plugin crashes.
	CrashAfter Point
	// Times is how many times it crashes per execution and attempt (≥ 1).
	Times int
}

// Key is the flat metadata key; NestedKey/NestedField the nested form.
const (
	Key         = "openoma.fault"
	NestedKey   = "openoma"
	NestedField = "fault"
)

// FromMetadata returns the fault spec a block run asks for: the node's
// metadata wins over the block's, and in each the flat key "openoma.fault"
// wins over the nested "openoma: {fault: …}". It returns nil, nil when
// neither asks for a fault, and an error wrapping ErrBadSpec naming the
// offending field otherwise.
func FromMetadata(block, node core.Metadata) (*Spec, error) {
	for _, src := range []struct {
		name string
		md   core.Metadata
	}{{"node", node}, {"block", block}} {
		raw, path, ok := lookup(src.md)
		if !ok {
			continue
		}
		spec, err := parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %s metadata %s: %w", ErrBadSpec, src.name, path, err)
		}
		return spec, nil
	}
	return nil, nil
}

func lookup(md core.Metadata) (any, string, bool) {
	if v, ok := md[Key]; ok {
		return v, Key, true
	}
	if nested, ok := md[NestedKey].(map[string]any); ok {
		if v, ok := nested[NestedField]; ok {
			return v, NestedKey + "." + NestedField, true
		}
	}
	return nil, "", false
}

func parse(raw any) (*Spec, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping such as {crash_after: started, times: 1}, got %s", typeName(raw))
	}
	spec := &Spec{Times: 1}
	for key, v := range m {
		switch key {
		case "crash_after":
			s, _ := v.(string)
			p := Point(strings.TrimSpace(strings.ToLower(s)))
			if !slices.Contains(Points, p) {
				return nil, fmt.Errorf("crash_after: %v is not a lifecycle point (want %s)", quote(v), pointList())
			}
			spec.CrashAfter = p
		case "times":
			n, ok := integer(v)
			if !ok || n < 1 {
				return nil, fmt.Errorf("times: want a whole number ≥ 1, got %v", quote(v))
			}
			spec.Times = n
		default:
			return nil, fmt.Errorf("unknown field %q (want crash_after, times)", key)
		}
	}
	if spec.CrashAfter == "" {
		return nil, fmt.Errorf("crash_after: missing (want %s)", pointList())
	}
	return spec, nil
}

// integer accepts the number types YAML and JSON decoding produce.
func integer(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n >= math.MinInt32 && n <= math.MaxInt32
	case uint64:
		return int(n), n <= math.MaxInt32
	case float64:
		return int(n), n == math.Trunc(n) && math.Abs(n) <= math.MaxInt32
	}
	return 0, false
}

func pointList() string {
	s := make([]string, len(Points))
	for i, p := range Points {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
