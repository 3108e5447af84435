package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/openoma/openoma/sdk"
)

// Limits on what the plugin keeps of a command's output streams.
const (
	// MaxStdout is the most stdout (or $OPENOMA_OUTPUTS file) the plugin
	// reads as outputs: what one append can carry, so a 64 MiB value fits.
	// A command that prints more fails with "output_too_large".
	MaxStdout = sdk.MaxPayloadBytes
	// StderrTail is how much of the end of stderr a failure reports.
	StderrTail = 4 << 10
	// maxLine bounds one stderr line sent as progress.
	maxLine = 1 << 10
	// drainDelay bounds the wait for output pipes to close after the
	// command's process group was killed (a descendant that left the group
	// may still hold them).
	drainDelay = 2 * time.Second
)

// processSpec is one process to run.
type processSpec struct {
	Path      string
	Args      []string // without the program name
	Dir       string
	Env       []string
	Stdin     []byte
	KillGrace time.Duration
}

// processHooks are called while the process runs.
type processHooks struct {
	// Started is called with the process id (also its process group id)
	// right after the process started.
	Started func(pid int)
	// StderrLine is called with each stderr line (cut to maxLine), from
	// another goroutine.
	StderrLine func(line string)
}

// processResult is how a process ended.
type processResult struct {
	PID      int
	ExitCode int // -1 when a signal ended it
	Signal   syscall.Signal
	Stdout   []byte
	// StdoutOverflow: the process printed more than MaxStdout.
	StdoutOverflow bool
	StderrTail     []byte
	Duration       time.Duration
}

// runProcess starts the process in a process group of its own and waits
// for it. When ctx ends first, the whole group gets SIGTERM, then SIGKILL
// after spec.KillGrace. When the process exits, whatever it left running
// in its group is killed too, before the process is reaped (so the group
// id cannot have been reused). It returns an error only when the process
// could not start.
func runProcess(ctx context.Context, spec processSpec, hooks processHooks) (processResult, error) {
	var res processResult
	outR, outW, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("create stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outR.Close()
		_ = outW.Close()
		return res, fmt.Errorf("create stderr pipe: %w", err)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdin = bytes.NewReader(spec.Stdin)
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.SysProcAttr = sysProcAttr()
	// Bounds the copy of stdin, which a descendant that escaped the group
	// could hold open.
	cmd.WaitDelay = drainDelay
	start := time.Now()
	err = cmd.Start()
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		_ = outR.Close()
		_ = errR.Close()
		return res, err
	}
	res.PID = cmd.Process.Pid

	var readers sync.WaitGroup
	var stdout limitedBuffer
	stderr := &tailBuffer{max: StderrTail}
	readers.Go(func() { _, _ = io.Copy(&stdout, outR) })
	readers.Go(func() { readLines(io.TeeReader(errR, stderr), hooks.StderrLine) })
	if hooks.Started != nil {
		hooks.Started(res.PID)
	}

	exited := make(chan struct{})
	var killer sync.WaitGroup
	killer.Go(func() { killOnDone(ctx, res.PID, spec.KillGrace, exited) })
	var waitErr error
	if canWaitUnreaped {
		waitExited(res.PID)
	} else {
		waitErr = cmd.Wait()
	}
	close(exited)
	killer.Wait()
	// Where the leader has exited but is not reaped yet, its group id is
	// still reserved, so this reaches only what it left behind.
	killGroup(res.PID, syscall.SIGKILL)
	if canWaitUnreaped {
		waitErr = cmd.Wait()
	}
	res.Duration = time.Since(start)

	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainDelay):
		_ = outR.Close()
		_ = errR.Close()
		<-drained
	}
	_ = outR.Close()
	_ = errR.Close()

	res.Stdout, res.StdoutOverflow = stdout.bytes()
	res.StderrTail = stderr.bytes()
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal()
	}
	if waitErr != nil && !errors.As(waitErr, new(*exec.ExitError)) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("wait for process %d: %w", res.PID, waitErr)
	}
	return res, nil
}

// killOnDone signals the process group when ctx ends before the process
// exits: SIGTERM, then SIGKILL after grace.
func killOnDone(ctx context.Context, pgid int, grace time.Duration, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	case <-ctx.Done():
	}
	killGroup(pgid, syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-exited:
	case <-timer.C:
		killGroup(pgid, syscall.SIGKILL)
	}
}

func killGroup(pgid int, sig syscall.Signal) {
	if pgid > 1 {
		_ = syscall.Kill(-pgid, sig)
	}
}

// readLines calls fn with each line of r (cut to maxLine), and reads r to
// its end even without fn.
func readLines(r io.Reader, fn func(string)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) < maxLine {
			line = append(line, chunk[:min(len(chunk), maxLine-len(line))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 && fn != nil {
			fn(string(bytes.TrimRight(line, "\r\n")))
		}
		line = line[:0]
		if err != nil {
			return
		}
	}
}

// limitedBuffer keeps the first MaxStdout bytes and notes an overflow; it
// keeps reading, so the writer never blocks.
type limitedBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := MaxStdout - b.buf.Len()
	if len(p) > room {
		b.overflow = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	b.buf.Write(p)
	return len(p), nil
}

func (b *limitedBuffer) bytes() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes()), b.overflow
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf)
}
