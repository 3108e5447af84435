package main

import (
	"errors"
	"strings"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
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
