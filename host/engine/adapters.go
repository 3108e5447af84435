package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
)

// ErrNoConditionsPlugin: a description-only condition needs judging and no
// plugin is configured for conditions.
var ErrNoConditionsPlugin = errors.New("no plugin is configured to judge description-only conditions")

// Adapters is how the engine finds the adapter plugins. The host's plugin
// manager implements it over plugin processes (starting them on demand);
// tests implement it with in-process adapters.
type Adapters interface {
	// ForBlock returns the plugin that runs block b in node n, by name. An
	// error (e.g. wrapping router.ErrNoRoute) fails the block execution
	// with the error as its reason.
	ForBlock(ctx context.Context, b *core.WorkBlock, n *core.NodeReference) (name string, a sdk.Adapter, err error)
	// ForConditions returns the plugin that judges description-only
	// conditions, or an error wrapping ErrNoConditionsPlugin.
	ForConditions(ctx context.Context) (name string, a sdk.Adapter, err error)
	// Adapter returns the plugin with the given name. Recovery uses it to
	// resume a block on the plugin recorded in its created event.
	Adapter(ctx context.Context, name string) (sdk.Adapter, error)
}

// RoutedAdapters implements Adapters with a hint router and a function that
// yields a plugin's adapter by name (the plugin manager's lookup, which may
// start the plugin).
type RoutedAdapters struct {
	Router *router.Router
	Lookup func(ctx context.Context, name string) (sdk.Adapter, error)
	// ConditionsPlugin names the plugin for description-only conditions;
	// "" means none.
	ConditionsPlugin string
}

var _ Adapters = (*RoutedAdapters)(nil)

// ForBlock implements Adapters.
func (r *RoutedAdapters) ForBlock(ctx context.Context, b *core.WorkBlock, _ *core.NodeReference) (string, sdk.Adapter, error) {
	name, err := r.Router.Route(b)
	if err != nil {
		return "", nil, err
	}
	a, err := r.Adapter(ctx, name)
	return name, a, err
}

// ForConditions implements Adapters.
func (r *RoutedAdapters) ForConditions(ctx context.Context) (string, sdk.Adapter, error) {
	if r.ConditionsPlugin == "" {
		return "", nil, ErrNoConditionsPlugin
	}
	a, err := r.Adapter(ctx, r.ConditionsPlugin)
	return r.ConditionsPlugin, a, err
}

// Adapter implements Adapters.
func (r *RoutedAdapters) Adapter(ctx context.Context, name string) (sdk.Adapter, error) {
	a, err := r.Lookup(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: %w", name, err)
	}
	return a, nil
}

// StaticAdapters implements Adapters over adapters already at hand, routed
// by a router: embedded hosts and tests use it.
func StaticAdapters(r *router.Router, adapters map[string]sdk.Adapter, conditionsPlugin string) *RoutedAdapters {
	return &RoutedAdapters{
		Router:           r,
		ConditionsPlugin: conditionsPlugin,
		Lookup: func(_ context.Context, name string) (sdk.Adapter, error) {
			a, ok := adapters[name]
			if !ok {
				return nil, fmt.Errorf("no adapter is registered under that name")
			}
			return a, nil
		},
	}
}
