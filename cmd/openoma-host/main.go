// Command openoma-host runs openoma: it loads definitions, routes blocks to
// adapter plugins, records every execution in an embedded event store, and
// resumes work after a crash. `openoma-host serve` is the daemon; the other
// verbs talk to it over its control socket, or run an embedded host when no
// daemon holds the data directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries a process exit status without printing anything more:
// the command has already told the user what happened.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the CLI and returns the process exit status. It is separate
// from main so testscript can run the CLI in-process.
func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRootCommand(stdin, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "openoma-host:", err)
	return 2
}
