package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/plugins"
)

// routeChecker reports blocks of a catalog that no configured plugin serves.
type routeChecker func(*core.Catalog) core.ErrorList

func newRouteChecker(cfg *config.Config) routeChecker {
	return func(cat *core.Catalog) core.ErrorList {
		r, err := host.NewRouter(cfg)
		if err != nil {
			return core.ErrorList{{Entity: "config", Message: err.Error()}}
		}
		err = r.Check(cat)
		if err == nil {
			return nil
		}
		var list core.ErrorList
		if errors.As(err, &list) {
			return list
		}
		var out core.ErrorList
		for _, line := range strings.Split(err.Error(), "\n") {
			out = append(out, &core.FieldError{Entity: "routing", Message: line})
		}
		return out
	}
}

// checkPlugins does what serve does at start, without a daemon: it
// launches every configured plugin (on_first_use ones too), checks with
// Describe that each serves the hints routed to it, and stops them.
func checkPlugins(ctx context.Context, cfg *config.Config) core.ErrorList {
	specs := host.PluginSpecs(cfg)
	if len(specs) == 0 {
		return nil
	}
	m, err := plugins.NewManager(specs, plugins.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		return core.ErrorList{{Entity: "config", Path: "plugins", Message: err.Error()}}
	}
	defer m.Close()
	index := map[string]int{}
	for i, p := range cfg.Plugins {
		index[p.Name] = i
	}
	var out core.ErrorList
	for _, p := range m.StartUp(ctx, true) {
		key := fmt.Sprintf("plugins[%d]", index[p.Plugin])
		if len(p.Missing) > 0 {
			var he *plugins.HintsError
			errors.As(p.Err, &he)
			out = append(out, &core.FieldError{Entity: fmt.Sprintf("plugin %q", p.Plugin), Path: key + ".hints",
				Message: fmt.Sprintf("does not serve %s, which the config routes to it (it serves: %s); %s",
					strings.Join(p.Missing, ", "), strings.Join(he.Served, ", "), p.Fix())})
			continue
		}
		out = append(out, &core.FieldError{Entity: fmt.Sprintf("plugin %q", p.Plugin), Path: key,
			Message: fmt.Sprintf("does not start: %v; %s", p.Err, p.Fix())})
	}
	return out
}
