package build

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// mistakes collects the builder-level errors of one builder.
type mistakes struct {
	list core.ErrorList
}

func (m *mistakes) add(format string, args ...any) {
	m.list = append(m.list, &core.FieldError{Message: fmt.Sprintf(format, args...)})
}

// result combines the builder's mistakes, attributed to entity (as it is
// named when Build runs), with what validation found. calls names the
// builder call behind each element of a list ("edges" → the Edge and Entry
// calls in order of the built flow's edges), so a validation path such as
// edges[1].port_mappings[0].source_port reads
// Edge("impl", "review").port_mappings[0].source_port: the caller never
// saw the built indexes, which skip calls that failed.
func (m *mistakes) result(entity string, validationErr error, calls map[string][]string) error {
	all := make(core.ErrorList, 0, len(m.list))
	for _, e := range m.list {
		fe := *e
		fe.Entity = entity
		all = append(all, &fe)
	}
	for _, e := range validate.Errors(validationErr) {
		fe := *e
		fe.Path = callPath(fe.Path, calls)
		all = append(all, &fe)
	}
	if validationErr != nil && validate.Errors(validationErr) == nil {
		all = append(all, &core.FieldError{Message: validationErr.Error()})
	}
	return all.Err()
}

func quoted(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// Errors returns the problems in an error returned by Build, or nil.
func Errors(err error) core.ErrorList { return validate.Errors(err) }

// callPath rewrites a leading list[i] of path into the call that made
// element i, when known.
func callPath(path string, calls map[string][]string) string {
	open := strings.IndexByte(path, '[')
	end := strings.IndexByte(path, ']')
	if open <= 0 || end < open {
		return path
	}
	i, err := strconv.Atoi(path[open+1 : end])
	list := calls[path[:open]]
	if err != nil || i < 0 || i >= len(list) {
		return path
	}
	return list[i] + path[end+1:]
}
