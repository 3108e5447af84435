package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/store"
)

var _ control.Rerunner = (*Host)(nil)

// Rerun implements control.Rerunner: a new execution of an ended flow
// execution's flow version that claims its completed work (see
// engine.Engine.Rerun). The new run's inputs go through the same preflight
// as run's, so a rerun that can only fail is refused before anything is
// recorded.
func (h *Host) Rerun(ctx context.Context, id uuid.UUID, from []string, inputs map[string]any, by control.Caller) (uuid.UUID, error) {
	if err := h.mustRun("rerun"); err != nil {
		return uuid.Nil, err
	}
	check := func(f *core.Flow, k *core.Contract, inputs map[string]any) error {
		if err := h.preflight(f, k, inputs); err != nil {
			return fmt.Errorf("%w: %w", err, control.ErrInvalid)
		}
		return nil
	}
	nid, err := h.engine.Rerun(ctx, id, engine.RerunOptions{From: from, Inputs: inputs, Check: check})
	switch {
	case err == nil:
		if by.Known() {
			h.log.Info("rerun", "of", id, "execution", nid, "by", by.String())
		}
		return nid, nil
	case errors.Is(err, store.ErrNotFound):
		return uuid.Nil, fmt.Errorf("execution %s: %w", id, control.ErrNotFound)
	case errors.Is(err, engine.ErrNotEnded), errors.Is(err, engine.ErrUnknownNode), errors.Is(err, engine.ErrNothingToRerun),
		errors.Is(err, engine.ErrBadClaim),
		errors.Is(err, engine.ErrNotRunnable), errors.Is(err, engine.ErrUnknownDefinition):
		return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrInvalid)
	}
	return uuid.Nil, err
}

var _ control.ClaimStarter = (*Host)(nil)

// StartClaiming implements control.ClaimStarter: run a contract that counts
// the completed flow executions claims as its work flows (run --claim).
// Claims that cannot count are refused before anything is recorded.
func (h *Host) StartClaiming(ctx context.Context, ref string, inputs map[string]any, claims []uuid.UUID) (uuid.UUID, error) {
	if err := h.mustRun("run"); err != nil {
		return uuid.Nil, err
	}
	k, err := h.catalog.LookupContract(ref)
	if err != nil {
		if _, ferr := h.catalog.LookupFlow(ref); ferr == nil {
			return uuid.Nil, fmt.Errorf("--claim counts flow executions toward a contract; %q is a flow: %w", ref, control.ErrInvalid)
		}
		return uuid.Nil, fmt.Errorf("no contract %q in the definitions%s: %w", ref, h.suggestRunnable(ref), control.ErrNotFound)
	}
	if err := h.preflight(nil, k, inputs); err != nil {
		return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrInvalid)
	}
	id, err := h.engine.StartContract(ctx, ref, inputs, engine.WithClaims(claims...))
	switch {
	case errors.Is(err, engine.ErrBadClaim):
		return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrInvalid)
	case errors.Is(err, store.ErrNotFound):
		return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrNotFound)
	}
	return id, err
}
