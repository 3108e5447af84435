package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/store"
)

// Summary is one line of `status` without an execution id.
type Summary = control.ExecutionSummary

// DefaultRecentLimit is how many executions `status` lists when no limit
// is asked for.
const DefaultRecentLimit = 50

// Recent implements control.Backend: the newest top-level runs that pass
// the filter, newest first. Only the executions shown have their state
// derived, so a limit keeps a long history cheap; a state filter derives
// states newest first until the limit is reached.
func (h *Host) Recent(ctx context.Context, f control.RecentFilter) ([]Summary, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultRecentLimit
	}
	defs, err := h.definitionsNamed(f.Name)
	if err != nil {
		return nil, err
	}
	var top []store.ExecutionInfo
	for _, kind := range []execution.Kind{execution.KindFlow, execution.KindContract} {
		infos, err := h.store.ListExecutions(ctx, store.Filter{Kind: kind})
		if err != nil {
			return nil, err
		}
		for _, i := range infos {
			if i.Parent != uuid.Nil || !f.Since.IsZero() && i.CreatedAt.Before(f.Since) {
				continue
			}
			if defs != nil && !defs[i.DefinitionID] {
				continue
			}
			if f.State == execution.StateInProgress && i.Terminal || f.State.IsTerminal() && f.State != execution.StateSkipped && !i.Terminal {
				continue // cheap: the store knows whether it ended
			}
			top = append(top, i)
		}
	}
	slices.SortFunc(top, func(a, b store.ExecutionInfo) int { return b.CreatedAt.Compare(a.CreatedAt) })
	out := []Summary{}
	for _, i := range top {
		if len(out) == limit {
			break
		}
		rep, err := h.engine.Status(ctx, i.ID)
		if err != nil {
			return nil, err
		}
		if f.State != "" && rep.State != f.State {
			continue
		}
		out = append(out, Summary{ExecutionID: i.ID, Kind: i.Kind, Name: rep.Name, Version: rep.Version,
			State: rep.State, CreatedAt: i.CreatedAt, EndedAt: rep.EndedAt})
	}
	return out, nil
}

// definitionsNamed returns the ids of the flows and contracts a --flow
// filter names (name or name@version; any version matches a bare name),
// or nil for no filter. A name that matches nothing is an error with a
// suggestion, not an empty list.
func (h *Host) definitionsNamed(ref string) (map[uuid.UUID]bool, error) {
	if ref == "" {
		return nil, nil
	}
	ids := map[uuid.UUID]bool{}
	if f, err := h.catalog.LookupFlow(ref); err == nil {
		ids[f.ID] = true
	}
	if k, err := h.catalog.LookupContract(ref); err == nil {
		ids[k.ID] = true
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no flow or contract %q in the definitions%s: %w", ref, h.suggestRunnable(ref), control.ErrNotFound)
	}
	return ids, nil
}

// minIDPrefix is the shortest execution id prefix accepted: short enough
// to type, long enough to be unique in practice (16 bits).
const minIDPrefix = 4

// ResolveID implements control.Backend: a full execution id, or a unique
// prefix of one (at least four hex digits, dashes optional), as `events`
// and `status` print them.
func (h *Host) ResolveID(ctx context.Context, s string) (uuid.UUID, error) {
	if id, err := uuid.Parse(s); err == nil {
		return id, nil
	}
	prefix := strings.ToLower(strings.ReplaceAll(s, "-", ""))
	if len(prefix) < minIDPrefix || strings.Trim(prefix, "0123456789abcdef") != "" {
		return uuid.Nil, fmt.Errorf("execution id %q: want a UUID or a prefix of at least %d hex digits: %w", s, minIDPrefix, control.ErrInvalid)
	}
	infos, err := h.store.ListExecutions(ctx, store.Filter{})
	if err != nil {
		return uuid.Nil, err
	}
	var found []uuid.UUID
	for _, i := range infos {
		if strings.HasPrefix(strings.ReplaceAll(i.ID.String(), "-", ""), prefix) {
			found = append(found, i.ID)
		}
	}
	switch len(found) {
	case 0:
		return uuid.Nil, fmt.Errorf("no execution %s in this data directory: %w", s, control.ErrNotFound)
	case 1:
		return found[0], nil
	}
	slices.SortFunc(found, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	shown := found[:min(len(found), 3)]
	names := make([]string, len(shown))
	for i, id := range shown {
		names[i] = id.String()
	}
	more := ""
	if len(found) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(found)-len(shown))
	}
	return uuid.Nil, fmt.Errorf("execution id prefix %q is ambiguous: %s%s; give more of it: %w",
		s, strings.Join(names, ", "), more, control.ErrInvalid)
}
