package tasks

import (
	"time"

	"github.com/openoma/openoma/execution"
)

// ParseDue reads a `due` value; see execution.ParseDue.
func ParseDue(v any, created time.Time) (*time.Time, error) { return execution.ParseDue(v, created) }
