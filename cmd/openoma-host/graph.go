package main

import (
	"fmt"

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
		Short: "Draw a flow as a Mermaid or Graphviz DOT diagram",
		Long: `graph prints a flow (by name, name@version, id or id@version) as a diagram:
nodes show alias and block@version, edges their condition and port mappings.
Definitions come from --definitions, else from the config's definitions.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := graph.ParseFormat(format)
			if err != nil {
				return err
			}
			cat, err := g.loadCatalog(defs)
			if err != nil {
				return err
			}
			flow, err := cat.LookupFlow(args[0])
			if err != nil {
				return err
			}
			return graph.Write(g.stdout, flow, f, func(id uuid.UUID, v int) *core.WorkBlock {
				b, _ := cat.WorkBlock(id, v)
				return b
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "diagram language: mermaid or dot")
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
