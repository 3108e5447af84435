package plugins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// HintsError is a launch refused because the plugin does not serve every
// hint the config routes to it. It matches ErrHints.
type HintsError struct {
	Missing []string // routed to the plugin, not served by it
	Served  []string // what its Describe lists
}

func (e *HintsError) Error() string {
	return fmt.Sprintf("%v: config routes %s to it, but it serves only %s",
		ErrHints, strings.Join(e.Missing, ", "), strings.Join(e.Served, ", "))
}

func (e *HintsError) Is(target error) bool { return target == ErrHints }

// StartProblem is a plugin that could not be started or checked.
type StartProblem struct {
	Plugin string
	// Missing lists the routed hints the plugin does not serve; empty when
	// it did not start at all.
	Missing []string
	Err     error
}

// Fix says what an operator should change, in a few words.
func (p StartProblem) Fix() string {
	if len(p.Missing) > 0 {
		return fmt.Sprintf("remove %s from the plugin's hints in the config, or install a version of the plugin that serves them",
			strings.Join(p.Missing, ", "))
	}
	return "check the plugin's path, args and env in the config; the plugin's own message is in the error"
}

// StartUp launches, all at once, every plugin not configured to start on
// first use, each checked with Describe against the hints routed to it
// (as every launch is), and returns one problem per plugin that failed,
// in configuration order. A plugin that failed is launched again on its
// next use. With all set it launches every plugin, OnFirstUse or not: what
// validate --config does.
func (m *Manager) StartUp(ctx context.Context, all bool) []StartProblem {
	problems := make([]*StartProblem, len(m.order))
	var wg sync.WaitGroup
	for i, name := range m.order {
		if m.procs[name].spec.OnFirstUse && !all {
			continue
		}
		wg.Go(func() {
			_, err := m.instance(ctx, name)
			if err == nil {
				return
			}
			p := &StartProblem{Plugin: name, Err: err}
			if he := (*HintsError)(nil); errors.As(err, &he) {
				p.Missing = he.Missing
			}
			problems[i] = p
		})
	}
	wg.Wait()
	var out []StartProblem
	for _, p := range problems {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}
