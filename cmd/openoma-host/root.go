package main

import (
	"encoding/json"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host/config"
)

// globals are the flags every verb shares.
type globals struct {
	configFile string
	json       bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	root       *cobra.Command
	remote     remoteFlags // --address and friends: a host's network control API
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "openoma-host",
		Short: "Run openoma flows and contracts on adapter plugins",
		Long: `openoma-host runs openoma definitions — WorkBlocks, Flows and Contracts —
routing each block by its execution hints to an adapter plugin and recording
every execution as an append-only event log in an embedded Badger store.

Start the daemon with "serve"; "run", "status", "events", "cancel" and "task"
talk to it over its control socket, or run an embedded host when no daemon
holds the data directory. With --address (or $OPENOMA_ADDRESS) and a token
they reach a host's network control API instead (control.address).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.root = root
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.configFile, "config", "c", "", "config file (YAML); default: $OPENOMA_CONFIG, else built-in defaults")
	pf.BoolVar(&g.json, "json", false, "machine-readable JSON output")
	pf.String("data-dir", "", "data directory (overrides data_dir)")
	pf.String("log-level", "", "log level: trace, debug, info, warn, error, off (overrides log_level)")
	g.remote.register(pf)
	root.AddCommand(
		newServeCommand(g),
		newRunCommand(g),
		newRerunCommand(g),
		newStatusCommand(g),
		newEventsCommand(g),
		newCancelCommand(g),
		newValidateCommand(g),
		newGraphCommand(g),
		newPluginsCommand(g),
		newBackupCommand(g),
		newRestoreCommand(g),
		newVerifyCommand(g),
		newTaskCommand(g),
		newInboxCommand(g),
		newVersionCommand(g),
		newDefinitionsCommand(g),
		newLogsCommand(g),
		newSignalCommand(g),
		newScheduleCommand(g),
		newControlCommand(g),
	)
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("{{.Version}}\n")
	return root
}

// loadConfig reads the configuration named by --config (or $OPENOMA_CONFIG),
// with the environment and the global flags on top.
func (g *globals) loadConfig() (*config.Config, error) {
	file := g.configFile
	if file == "" {
		file = os.Getenv("OPENOMA_CONFIG")
	}
	return config.Load(config.Options{File: file, Flags: g.root.PersistentFlags()})
}

// printJSON writes v as indented JSON on stdout.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
