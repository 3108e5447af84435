// Command openoma-host runs openoma: it loads definitions, routes blocks to
// adapter plugins, records every execution in an embedded event store, and
// resumes work after a crash. `openoma-host serve` is the daemon; the other
// verbs talk to it over its control socket, or run an embedded host when no
// daemon holds the data directory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/openoma/openoma/host/control"
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
	// An unknown verb fails before the flags are parsed: look at the
	// arguments too.
	if asJSON, _ := cmd.PersistentFlags().GetBool("json"); asJSON || slices.Contains(args, "--json") {
		writeJSONError(stderr, err)
		return 2
	}
	fmt.Fprintln(stderr, "openoma-host:", err)
	return 2
}

// jsonError is how a failed verb reports itself with --json, on stderr, so
// that a script reads one object whatever went wrong.
type jsonError struct {
	Error string `json:"error"`
	// Code is the kind of failure: not_found, invalid, denied, unavailable,
	// no_daemon or error.
	Code string `json:"code"`
}

func writeJSONError(w io.Writer, err error) {
	code := "error"
	switch {
	case errors.Is(err, control.ErrNotFound), errors.Is(err, errNotFoundLocal):
		code = "not_found"
	case errors.Is(err, control.ErrInvalid), isCobraUsage(err):
		code = "invalid"
	case errors.Is(err, control.ErrDenied):
		code = "denied"
	case errors.Is(err, control.ErrNoDaemon):
		code = "no_daemon"
	case errors.Is(err, control.ErrUnavailable):
		code = "unavailable"
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(jsonError{Error: err.Error(), Code: code})
}

// usageError is a mistake in how a verb was called (a bad flag value, a
// malformed argument): its text as written, and errors.Is(err,
// control.ErrInvalid) so --json reports it with code "invalid", as the
// daemon reports the mistakes it finds.
type usageError struct{ error }

func (e usageError) Is(target error) bool { return target == control.ErrInvalid }
func (e usageError) Unwrap() error        { return e.error }

// usage marks err as a usage mistake (nil stays nil).
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// isCobraUsage recognises the argument errors cobra makes itself (wrong
// number of arguments, an unknown verb or flag).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"accepts ", "requires at least ", "requires at most ", "unknown command ", "unknown flag", "unknown shorthand flag", "invalid argument ", "flag needs an argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
