package sdk

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
)

// LogLevelEnv names the environment variable that sets a plugin's log level
// (trace, debug, info, warn, error); the default is info. The host filters
// again by its own level.
const LogLevelEnv = "OPENOMA_PLUGIN_LOG_LEVEL"

// NewLogger returns a logger whose lines reach the host's log: JSON on the
// process's stderr, which go-plugin reads and re-logs, tagged with the
// plugin's name, at the level each line carries. Call it in main, before
// Serve — Serve redirects os.Stderr afterwards.
func NewLogger(name string) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

type loggerKey struct{}

func withLogger(ctx context.Context, l hclog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger of the request ctx belongs to: the plugin's
// logger, with the request's execution id and block name attached. Outside
// a request it returns a logger that discards everything.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(hclog.Logger); ok {
		return l
	}
	return hclog.NewNullLogger()
}
