package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
