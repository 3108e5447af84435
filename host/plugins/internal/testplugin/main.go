// Command testplugin is a plugin for the plugin manager's tests. Its
// behaviour is set by environment variables so one binary covers every
// case: TESTPLUGIN_HINTS (comma-separated hints to serve),
// TESTPLUGIN_EXIT_IN_EXECUTE (exit abruptly inside ExecuteBlock),
// TESTPLUGIN_HANG_IN_EXECUTE (never answer ExecuteBlock: a plugin that
// does not respond), TESTPLUGIN_FAIL_AT_START (print it and exit before
// the handshake), TESTPLUGIN_HOLD (a block runs until cancelled or the
// plugin shuts down).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
)

type adapter struct {
	sdk.NoConditions
	tasks sdk.Tasks
}

func (a *adapter) Describe(context.Context) (sdk.Info, error) {
	hints := []string{"test"}
	if h := os.Getenv("TESTPLUGIN_HINTS"); h != "" {
		hints = strings.Split(h, ",")
	}
	return sdk.Info{Name: "testplugin", Version: "0.0.1", Hints: hints}, nil
}

func (a *adapter) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	if os.Getenv("TESTPLUGIN_EXIT_IN_EXECUTE") != "" {
		os.Exit(3)
	}
	if os.Getenv("TESTPLUGIN_HANG_IN_EXECUTE") != "" {
		<-ctx.Done() // until the host gives up on the call
		return uuid.Nil, ctx.Err()
	}
	em := req.Emitter(sdk.System("testplugin"))
	a.tasks.Go(ctx, req.ExecutionID, func(ctx context.Context) {
		_ = em.Run(ctx, func(ctx context.Context) (map[string]any, error) {
			if os.Getenv("TESTPLUGIN_HOLD") != "" {
				<-ctx.Done() // until cancelled or the plugin shuts down
				return nil, ctx.Err()
			}
			return req.Inputs, nil
		})
	})
	return req.ExecutionID, nil
}

func (a *adapter) ResumeBlock(context.Context, sdk.ResumeRequest) error { return nil }

func (a *adapter) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	a.tasks.Cancel(req.ExecutionID, req.Reason)
	return nil
}

// Shutdown releases the blocks still running, as every sdk plugin does.
func (a *adapter) Shutdown(ctx context.Context) error { return a.tasks.Shutdown(ctx) }

func main() {
	// TESTPLUGIN_FAIL_AT_START: say why on stderr and exit before the
	// handshake, like a plugin given a config file that does not exist.
	if msg := os.Getenv("TESTPLUGIN_FAIL_AT_START"); msg != "" {
		fmt.Fprintln(os.Stderr, "some earlier line")
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(2)
	}
	// TESTPLUGIN_EXIT_AFTER: crash (exit 4) that long after starting, like
	// a plugin that dies on whatever it is asked to resume.
	if d, err := time.ParseDuration(os.Getenv("TESTPLUGIN_EXIT_AFTER")); err == nil {
		time.AfterFunc(d, func() { os.Exit(4) })
	}
	sdk.Serve(&adapter{})
}
