package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin/runner"
)

// procRunner starts a plugin binary for go-plugin and reports its exit on a
// channel the moment the process ends, so the manager needs no polling or
// timeout to notice a crash.
type procRunner struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr *stderrTail
	exited chan struct{}
	err    error // set before exited is closed
}

var _ runner.Runner = (*procRunner)(nil)

func newProcRunner(cmd *exec.Cmd) (*procRunner, error) {
	// The plugin gets its own process group, so a kill reaches whatever it
	// spawned, and is killed by the kernel if the host dies without a
	// chance to clean up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	return &procRunner{cmd: cmd, stdout: stdout, stderr: newStderrTail(stderr), exited: make(chan struct{})}, nil
}

func (r *procRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", r.cmd.Path, err)
	}
	return nil
}

func (r *procRunner) Wait(context.Context) error {
	err := r.cmd.Wait()
	r.err = err
	close(r.exited)
	return err
}

// Kill ends the plugin's whole process group.
func (r *procRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.cmd.Path }

func (r *procRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

// startFailure explains why a launch failed: when the process exited by
// itself and wrote to stderr, what it wrote is the reason, not go-plugin's
// "exited during the handshake".
func (r *procRunner) startFailure(err error) error {
	if r == nil {
		return err
	}
	timer := time.NewTimer(tailWaitExit)
	defer timer.Stop()
	select {
	case <-r.exited:
	case <-timer.C:
		return err // still running (a timeout, a bad handshake line): go-plugin's reason stands
	}
	var exit *exec.ExitError
	lines := r.stderr.last(tailWaitExit)
	if !errors.As(r.err, &exit) || !exit.Exited() || len(lines) == 0 {
		// Killed (by go-plugin, after a handshake it refused) or silent.
		if len(lines) > 0 {
			return fmt.Errorf("%w; its last stderr: %s", err, strings.Join(lines, "; "))
		}
		return err
	}
	return fmt.Errorf("exited during start (%s): %s", exitReason(r.err), strings.Join(lines, "; "))
}

func (r *procRunner) Diagnose(context.Context) string {
	return fmt.Sprintf("%s is not an openoma plugin, was built for another platform, or exited during the handshake", r.cmd.Path)
}

func (r *procRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (r *procRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
