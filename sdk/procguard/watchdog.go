package procguard

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// EnvGuard is set (to "1") in the environment of a watchdog process: the
// plugin binary started with it runs the watchdog instead of the plugin.
const EnvGuard = "OPENOMA_PROCESS_GUARD"

// RunIfGuard runs the watchdog and exits if this process was started as
// one (EnvGuard is set); otherwise it returns at once. sdk.Serve calls it
// first, so every plugin binary can be its own watchdog; a test binary
// whose tests start commands through a Guard calls it from TestMain.
func RunIfGuard() {
	if os.Getenv(EnvGuard) != "1" {
		return
	}
	// Signals meant for the plugin's terminal or session are not for the
	// watchdog: it ends when the plugin does.
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGQUIT)
	watch(os.Stdin)
	os.Exit(0)
}

// watched is what the watchdog knows of one execution.
type watched struct {
	marker string
	groups []int
}

// watch reads the plugin's messages until its input ends, then kills
// everything still watched.
func watch(r io.Reader) {
	state := map[string]*watched{}
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		_ = apply(state, lines.Text()) // a garbled line is a bug of ours; keep watching
	}
	var groups []int
	var markers []string
	for _, w := range state {
		groups = append(groups, w.groups...)
		if w.marker != "" {
			markers = append(markers, w.marker)
		}
	}
	Sweep(groups, markers)
}

// The watchdog's input is one message a line:
//
//	watch <key> <marker>   an execution whose processes carry marker
//	group <key> <pgid>     one of its commands runs in group pgid
//	forget <key>           its commands ended; nothing left to kill
func apply(state map[string]*watched, line string) error {
	f := strings.Fields(line)
	switch {
	case len(f) == 3 && f[0] == "watch":
		w := state[f[1]]
		if w == nil {
			w = &watched{}
			state[f[1]] = w
		}
		w.marker = f[2]
	case len(f) == 3 && f[0] == "group":
		pgid, err := strconv.Atoi(f[2])
		if err != nil || pgid <= 1 {
			return fmt.Errorf("bad group id in %q", line)
		}
		w := state[f[1]]
		if w == nil {
			w = &watched{}
			state[f[1]] = w
		}
		w.groups = append(w.groups, pgid)
	case len(f) == 2 && f[0] == "forget":
		delete(state, f[1])
	default:
		return fmt.Errorf("unknown message %q", line)
	}
	return nil
}
