package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
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

// startPlugins launches the plugins configured to start with the daemon
// (plugins[].start: at_start, the default) and checks them with Describe,
// before recovery hands them the blocks a previous process left running.
// A plugin that fails is an ERROR, not a reason to refuse to serve: flows
// that do not use it still run, and its own blocks fail, or wait in
// recovery, with the same message until it is fixed. `plugins` shows it.
func startPlugins(ctx context.Context, h *host.Host, log hclog.Logger) {
	if len(h.PluginManager().Specs()) == 0 {
		return
	}
	began := time.Now()
	problems := h.PluginManager().StartUp(ctx, false)
	for _, p := range problems {
		kv := []any{"plugin", p.Plugin, "error", p.Err, "fix", p.Fix()}
		if len(p.Missing) > 0 {
			kv = append(kv, "missing_hints", strings.Join(p.Missing, ","))
		}
		log.Error("plugin failed its start-up check; serving anyway, but blocks routed to it cannot run until it is fixed", kv...)
	}
	log.Info("plugins started", "checked_in", time.Since(began).Round(time.Millisecond), "failed", len(problems))
}
