package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/plugins"
)

func newPluginsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "plugins",
		Short: "List the configured plugins: hints, path, health",
		Long: `plugins lists the configured plugins with the hints routed to them and, on a
running daemon, their process, version, restarts and last error. Without a
daemon it shows where each binary would be found and checks its checksum.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, s, err := g.session(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			list, err := s.Plugins(cmd.Context())
			if err != nil {
				return err
			}
			if s.embedded {
				for i := range list {
					spec := specOf(cfg, list[i].Name)
					if p, err := plugins.Resolve(spec, plugins.DefaultHostDir()); err != nil {
						list[i].LastError = err.Error()
					} else {
						list[i].Path = p
						if err := plugins.VerifyChecksum(spec, p); err != nil {
							list[i].LastError = err.Error()
						}
					}
				}
			}
			if g.json {
				return g.printJSON(list)
			}
			for _, p := range list {
				health := "not running"
				if p.Running {
					health = fmt.Sprintf("running (pid %d, %s, %d restarts)", p.PID, p.Version, p.Restarts)
				} else if s.embedded {
					health = "no daemon"
				}
				fmt.Fprintf(g.stdout, "%-12s hints: %-30s %s\n", p.Name, strings.Join(p.Hints, ","), health)
				if p.Path != "" {
					fmt.Fprintf(g.stdout, "             path: %s\n", p.Path)
				}
				if p.LastError != "" {
					fmt.Fprintf(g.stdout, "             error: %s\n", p.LastError)
				}
				if p.LastExit != "" {
					fmt.Fprintf(g.stdout, "             last exit: %s\n", p.LastExit)
				}
			}
			return nil
		},
	}
}

func specOf(cfg *config.Config, name string) plugins.Spec {
	for _, s := range host.PluginSpecs(cfg) {
		if s.Name == name {
			return s
		}
	}
	return plugins.Spec{Name: name}
}
