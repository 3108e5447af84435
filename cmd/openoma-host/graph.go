package main

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/host/graph"
)

func newGraphCommand(g *globals) *cobra.Command {
	var format string
	var defs []string
	cmd := &cobra.Command{
		Use:   "graph FLOW",
		Short: "Draw a flow as a Mermaid, Graphviz DOT or SVG diagram, or as JSON",
		Long: `graph prints a flow (by name, name@version, id or id@version) as a diagram:
nodes show alias and block@version, edges their condition and port mappings.
Loops' back edges are dashed and marked "↺ loop"; for_each nodes are drawn
double (Mermaid: a subroutine box) with their list, timers as octagons
(stadiums) with their wait, signals as hexagons with their name.
--format svg lays the graph out with Graphviz (built in, nothing to install);
--json (or --format json) prints the structured graph: nodes, edges, kinds.
Definitions come from --definitions, else from the config's definitions.`,
		Example: `  openoma-host graph "Engineering Sprint Cycle" --format mermaid
  openoma-host graph "Engineering Sprint Cycle" --format svg > sprint.svg
  openoma-host graph "Engineering Sprint Cycle" --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.json {
				format = string(graph.JSON)
			}
			svg := strings.EqualFold(format, "svg")
			f, err := graph.ParseFormat(format)
			if err != nil && !svg {
				return fmt.Errorf("unknown graph format %q (want mermaid, dot, svg or json)", format)
			}
			cat, err := g.loadCatalog(defs)
			if err != nil {
				return err
			}
			flow, err := cat.LookupFlow(args[0])
			if err != nil {
				return err
			}
			model := graph.Build(flow, func(id uuid.UUID, v int) *core.WorkBlock {
				b, _ := cat.WorkBlock(id, v)
				return b
			})
			if !svg {
				return model.Write(g.stdout, f)
			}
			r, err := graph.NewRenderer(cmd.Context())
			if err != nil {
				return err
			}
			defer r.Close()
			out, err := r.SVG(cmd.Context(), model)
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "diagram language: mermaid, dot, svg or json")
	cmd.Flags().StringSliceVar(&defs, "definitions", nil, "definition files or directories (default: the config's definitions)")
	return cmd
}

// loadCatalog loads the given definition paths, or the config's.
func (g *globals) loadCatalog(paths []string) (*core.Catalog, error) {
	if len(paths) == 0 {
		cfg, err := g.loadConfig()
		if err != nil {
			return nil, err
		}
		paths = cfg.Definitions
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no definitions: pass --definitions or set definitions in the config")
	}
	return core.Load(paths...)
}
