package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

func newValidateCommand(g *globals) *cobra.Command {
	var withConfig, skipPlugins bool
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check definitions (files or directories) against the openoma invariants",
		Long: `validate loads every .yaml, .yml and .json file under the given paths into one
catalog and checks it: the spec's invariants, reference integrity across
files, CEL predicates, and that every flow can run (no cycles). With --config
it also checks the configured definitions and that every block's execution
hints are served by a configured plugin. It then starts every configured
plugin, as serve does, checks with Describe that each serves the hints
routed to it, and stops it: a plugin that does not start, or lacks a hint,
is a problem naming the plugin and the hints (--skip-plugins leaves this
out, say where the plugin binaries are not installed).

Exit status: 0 when valid, 1 when a problem was found (one per line, or a
JSON list with --json), 2 on a usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			var routes routeChecker
			if withConfig || g.configFile != "" {
				cfg, err := g.loadConfig()
				if err != nil {
					return err
				}
				if len(paths) == 0 {
					paths = cfg.Definitions
				}
				routes = newRouteChecker(cfg)
				if !skipPlugins {
					check := routes
					routes = func(cat *core.Catalog) core.ErrorList {
						return append(check(cat), checkPlugins(cmd.Context(), cfg)...)
					}
				}
			}
			if len(paths) == 0 {
				return errors.New("validate: no paths given (and no definitions in the config)")
			}
			return runValidate(g, paths, routes)
		},
	}
	cmd.Flags().BoolVar(&withConfig, "with-config", false, "also check routing against the config (implied by --config)")
	cmd.Flags().BoolVar(&skipPlugins, "skip-plugins", false, "with a config, do not start the plugins to check them")
	return cmd
}

// validateReport is the --json form of validate's result.
type validateReport struct {
	OK        bool          `json:"ok"`
	Blocks    int           `json:"work_blocks"`
	Flows     int           `json:"flows"`
	Contracts int           `json:"contracts"`
	Errors    []problemJSON `json:"errors"`
}

type problemJSON struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Entity  string `json:"entity,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

func runValidate(g *globals, paths []string, routes routeChecker) error {
	cat, err := core.Load(paths...)
	var problems core.ErrorList
	if err != nil {
		if !errors.As(err, &problems) {
			return err
		}
	}
	if err == nil {
		if verr := validate.Catalog(cat, validate.RequireRunnable()); verr != nil {
			if !errors.As(verr, &problems) {
				return verr
			}
		}
		if routes != nil {
			problems = append(problems, routes(cat)...)
		}
	}
	rep := validateReport{OK: len(problems) == 0, Errors: []problemJSON{}}
	if cat != nil {
		rep.Blocks, rep.Flows, rep.Contracts = cat.Counts()
	}
	for _, p := range problems {
		rep.Errors = append(rep.Errors, problemJSON{p.File, p.Line, p.Entity, p.Path, p.Message, p.Error()})
	}
	if g.json {
		if err := g.printJSON(rep); err != nil {
			return err
		}
	} else if rep.OK {
		fmt.Fprintf(g.stdout, "ok: %s, %s, %s\n",
			plural(rep.Blocks, "work block"), plural(rep.Flows, "flow"), plural(rep.Contracts, "contract"))
	} else {
		for _, p := range problems {
			fmt.Fprintln(g.stdout, p.Error())
		}
		fmt.Fprintf(g.stderr, "%s\n", plural(len(problems), "problem"))
	}
	if !rep.OK {
		return exitError{1}
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
