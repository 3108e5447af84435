package host

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/console"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/engine"
)

// ConsoleSource is what the execution console reads: the same reports,
// lists and events as the control API, with not-found translated.
func (h *Host) ConsoleSource() console.Source { return consoleSource{h} }

type consoleSource struct{ h *Host }

var _ console.Source = consoleSource{}

func (s consoleSource) Recent(ctx context.Context, q console.Query) ([]console.Run, error) {
	list, err := s.h.Recent(ctx, control.RecentFilter{State: q.State, Name: q.Name, Since: q.Since, Limit: q.Limit})
	if err != nil {
		return nil, consoleErr(err)
	}
	runs := make([]console.Run, len(list))
	for i, r := range list {
		runs[i] = console.Run{ID: r.ExecutionID, Kind: r.Kind, Name: r.Name, Version: r.Version, State: r.State,
			CreatedAt: r.CreatedAt, EndedAt: r.EndedAt}
	}
	return runs, nil
}

func (s consoleSource) Report(ctx context.Context, id uuid.UUID) (*engine.Report, error) {
	rep, _, err := s.h.Report(ctx, id)
	if err != nil {
		return nil, consoleErr(err)
	}
	return rep, nil
}

func (s consoleSource) Events(ctx context.Context, id uuid.UUID, send func(execution.Event) error) error {
	return consoleErr(s.h.Events(ctx, id, 0, false, send))
}

func (s consoleSource) ResolveID(ctx context.Context, text string) (uuid.UUID, error) {
	id, err := s.h.ResolveID(ctx, text)
	return id, consoleErr(err)
}

func consoleErr(err error) error {
	if err != nil && errors.Is(err, control.ErrNotFound) {
		return consoleNotFound{err}
	}
	return err
}

// consoleNotFound keeps the host's message and matches console.ErrNotFound.
type consoleNotFound struct{ error }

func (e consoleNotFound) Is(target error) bool { return target == console.ErrNotFound }
func (e consoleNotFound) Unwrap() error        { return e.error }
