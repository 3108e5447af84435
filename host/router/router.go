package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openoma/openoma/core"
)

// Wildcard is the hint a catch-all plugin declares.
const Wildcard = "*"

// ErrNoRoute is wrapped by every error about a block no plugin serves.
var ErrNoRoute = errors.New("no plugin serves the block")

// Plugin is one entry of the routing configuration.
type Plugin struct {
	Name  string
	Hints []string
}

// Config is the routing configuration: the plugins in priority order and
// the plugin that takes blocks without hints.
type Config struct {
	Plugins       []Plugin
	DefaultPlugin string
}

// Router routes blocks to plugin names. It is immutable and safe for
// concurrent use.
type Router struct {
	plugins       []Plugin
	serves        []map[string]bool // per plugin: hint → served
	wildcard      []bool
	defaultPlugin string
}

// New checks cfg and returns a Router. Every plugin needs a unique,
// non-empty name; hints must be non-empty; the default plugin, when set,
// must be one of the plugins.
func New(cfg Config) (*Router, error) {
	r := &Router{defaultPlugin: strings.TrimSpace(cfg.DefaultPlugin)}
	seen := map[string]bool{}
	var errs []error
	for i, p := range cfg.Plugins {
		name := strings.TrimSpace(p.Name)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("plugins[%d].name: must not be empty", i))
			continue
		case seen[name]:
			errs = append(errs, fmt.Errorf("plugins[%d].name: plugin %q is listed twice", i, name))
			continue
		}
		seen[name] = true
		serves := map[string]bool{}
		wildcard := false
		hints := make([]string, 0, len(p.Hints))
		for j, h := range p.Hints {
			h = strings.TrimSpace(h)
			if h == "" {
				errs = append(errs, fmt.Errorf("plugins[%d].hints[%d] (plugin %q): hint must not be empty", i, j, name))
				continue
			}
			hints = append(hints, h)
			serves[h] = true
			wildcard = wildcard || h == Wildcard
		}
		r.plugins = append(r.plugins, Plugin{Name: name, Hints: hints})
		r.serves = append(r.serves, serves)
		r.wildcard = append(r.wildcard, wildcard)
	}
	if r.defaultPlugin != "" && !seen[r.defaultPlugin] {
		errs = append(errs, fmt.Errorf("default_plugin: %q is not one of the configured plugins (%s)",
			r.defaultPlugin, strings.Join(r.names(), ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("routing configuration: %w", err)
	}
	return r, nil
}

// Plugins returns the plugins in priority order, with trimmed hints.
func (r *Router) Plugins() []Plugin {
	out := make([]Plugin, len(r.plugins))
	for i, p := range r.plugins {
		out[i] = Plugin{Name: p.Name, Hints: slices.Clone(p.Hints)}
	}
	return out
}

// DefaultPlugin returns the plugin for blocks without hints, or "".
func (r *Router) DefaultPlugin() string { return r.defaultPlugin }

// Route returns the name of the plugin that runs b, or an error wrapping
// ErrNoRoute (a *RouteError) when none does.
func (r *Router) Route(b *core.WorkBlock) (string, error) {
	return r.RouteHints(b.Describe(), b.ExecutionHints)
}

// RouteHints routes a hint list; what names the block in error messages.
func (r *Router) RouteHints(what string, hints []string) (string, error) {
	wanted := normalise(hints)
	if len(wanted) == 0 {
		if r.defaultPlugin != "" {
			return r.defaultPlugin, nil
		}
		return "", &RouteError{Block: what, Considered: r.Plugins(), NoDefault: true}
	}
	for i, p := range r.plugins {
		if r.servesAll(i, wanted) {
			return p.Name, nil
		}
	}
	return "", &RouteError{Block: what, Hints: wanted, Considered: r.Plugins()}
}

func (r *Router) servesAll(i int, hints []string) bool {
	if r.wildcard[i] {
		return true
	}
	for _, h := range hints {
		if !r.serves[i][h] {
			return false
		}
	}
	return true
}

func (r *Router) names() []string {
	out := make([]string, len(r.plugins))
	for i, p := range r.plugins {
		out[i] = p.Name
	}
	return out
}

// normalise trims hints and drops empty ones and duplicates, keeping order.
func normalise(hints []string) []string {
	out := make([]string, 0, len(hints))
	for _, h := range hints {
		h = strings.TrimSpace(h)
		if h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// RouteError says why a block has no plugin. errors.Is(err, ErrNoRoute)
// holds for it.
type RouteError struct {
	Block      string   // e.g. `block "Deploy" v2`
	Hints      []string // the block's hints; empty when NoDefault
	Considered []Plugin // every plugin tried, in order
	// NoDefault: the block has no hints and no default plugin is set.
	NoDefault bool
}

func (e *RouteError) Error() string {
	var b strings.Builder
	if e.NoDefault {
		fmt.Fprintf(&b, "%s has no execution hints and no default_plugin is configured", e.Block)
	} else {
		fmt.Fprintf(&b, "%s has hints [%s]: no plugin serves all of them", e.Block, strings.Join(e.Hints, ", "))
	}
	if len(e.Considered) == 0 {
		b.WriteString("; no plugins are configured")
		return b.String()
	}
	b.WriteString("; considered ")
	shown := 0
	for _, p := range e.Considered {
		if strings.HasPrefix(p.Name, "openoma.") {
			continue // the host's own timer and signal adapters: not what a reader configured
		}
		if shown > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s [%s]", p.Name, strings.Join(p.Hints, ", "))
		shown++
	}
	if shown == 0 {
		b.WriteString("no plugins (none is configured)")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNoRoute) hold.
func (e *RouteError) Unwrap() error { return ErrNoRoute }

// Check routes every block of c and returns one *core.FieldError per block
// no plugin serves (naming the file it came from, the block and the
// execution_hints field), or nil when every block is routable.
func (r *Router) Check(c *core.Catalog) error {
	var errs core.ErrorList
	for _, b := range c.WorkBlocks() {
		if _, err := r.Route(b); err != nil {
			src := c.Source(core.KindWorkBlock, b.Ref())
			var re *RouteError
			msg := err.Error()
			if errors.As(err, &re) {
				// The entity is named by the FieldError already.
				msg = strings.TrimPrefix(msg, re.Block+" ")
			}
			errs = append(errs, &core.FieldError{
				File: src.File, Line: src.Line,
				Entity: b.Describe(), Path: "execution_hints", Message: msg,
			})
		}
	}
	return errs.Err()
}
