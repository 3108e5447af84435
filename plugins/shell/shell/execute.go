package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// errTimedOut is the cause of a command's context when its timeout passes.
var errTimedOut = errors.New("shell command timed out")

// execute runs the command once and returns its outputs, or a failure
// (sdk.BlockError) saying how it went wrong.
func (a *Adapter) execute(ctx context.Context, j sdk.Job, cmd Command) (map[string]any, error) {
	where := sdk.Where(j.Block, j.Node)
	progress := j.Emitter.Progress
	work, err := os.MkdirTemp("", "openoma-shell-")
	if err != nil {
		return nil, sdk.Failf("internal", "%s: create a work directory: %w", where, err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	outputsPath := filepath.Join(work, "outputs.json")
	if err := os.WriteFile(outputsPath, nil, 0o600); err != nil {
		return nil, sdk.Failf("internal", "%s: create the outputs file: %w", where, err)
	}
	argv, shown, err := commandLine(cmd, work)
	if err != nil {
		return nil, sdk.Failf("internal", "%s: %w", where, err)
	}
	env, files, err := commandEnv(a.opts.Environ(), cmd, run{
		ExecutionID: j.ExecutionID, FlowExecutionID: j.FlowExecutionID, Attempt: j.Attempt,
		BlockName: j.Block.Name, BlockVersion: j.Block.Version, NodeAlias: j.Node.Alias,
		OutputsPath: outputsPath, InputsDir: work,
	}, j.Inputs)
	if err != nil {
		return nil, sdk.Failf("bad_input", "%s: %w", where, err)
	}
	for _, f := range files {
		if err := os.WriteFile(f.Path, f.Data, 0o600); err != nil {
			return nil, sdk.Failf("internal", "%s: write an input's file: %w", where, err)
		}
	}
	stdin, err := json.Marshal(orEmpty(j.Inputs))
	if err != nil {
		return nil, sdk.Failf("bad_input", "%s: inputs cannot be encoded as JSON: %w", where, err)
	}
	if cmd.Dir != "" {
		if st, err := os.Stat(cmd.Dir); err != nil || !st.IsDir() {
			return nil, sdk.Failf("bad_metadata", "%s: metadata.shell.dir: %q is not a directory", where, cmd.Dir)
		}
	}

	runCtx := ctx
	if cmd.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, cmd.Timeout, errTimedOut)
		defer cancel()
	}
	var stream *stderrStreamer
	key, marker := j.ExecutionID.String(), Marker(j.ExecutionID)
	if err := a.opts.Guard.Watch(key, marker); err != nil {
		sdk.Logger(ctx).Warn("no watchdog: should the plugin die, what this command leaves running survives it", "error", err)
	}
	defer func() { _ = a.opts.Guard.Forget(key) }()
	hooks := processHooks{Started: func(pid int) {
		_ = a.opts.Guard.Group(key, pid)
		_ = progress(ctx, map[string]any{"type": "command_started", "pid": pid, "command": shown})
	}}
	if cmd.StreamStderr {
		stream = startStreamer(ctx, progress, a.opts.ProgressInterval)
		hooks.StderrLine = stream.add
	}
	res, err := runProcess(runCtx, processSpec{
		Path: argv[0], Args: argv[1:], Dir: cmd.Dir, Env: env, Stdin: append(stdin, '\n'), KillGrace: cmd.KillGrace,
	}, hooks)
	if stream != nil {
		stream.close(ctx)
	}
	if err != nil {
		return nil, sdk.Failf("spawn", "%s: cannot start %s: %w", where, shown[0], err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err() // cancelled or shutting down: Run records which
	}
	exited := map[string]any{"type": "command_exited", "exit_code": res.ExitCode, "duration_ms": res.Duration.Milliseconds()}
	if res.Signal != 0 {
		exited["signal"] = res.Signal.String()
	}
	if err := progress(ctx, exited); err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if errors.Is(context.Cause(runCtx), errTimedOut) {
		return nil, failure("timeout", fmt.Sprintf("%s: the command timed out after %s; its process group was killed", where, cmd.Timeout), res)
	}
	if res.Signal != 0 {
		return nil, failure("signal", fmt.Sprintf("%s: the command was killed by signal %d (%s)", where, int(res.Signal), res.Signal), res)
	}
	if res.ExitCode != 0 {
		return nil, failure("exit_status", fmt.Sprintf("%s: the command exited with status %d", where, res.ExitCode), res)
	}
	if res.StdoutOverflow {
		return nil, sdk.Failf("output_too_large", "%s: the command printed more than %d MiB on stdout, the limit (the most one append carries); write large results to a file and output its path", where, MaxStdout>>20)
	}
	file, err := readOutputsFile(outputsPath)
	if err != nil {
		return nil, prefix(where, err)
	}
	outputs, source, err := parseOutputs(res.Stdout, file, len(j.Block.Outputs) > 0)
	if err != nil {
		return nil, prefix(where, err)
	}
	if err := a.ports.CheckOutputs(j.Block, outputs, "the command's "+source); err != nil {
		return nil, err
	}
	return outputs, nil
}

// readOutputsFile reads the $OPENOMA_OUTPUTS file, refusing one over
// MaxStdout (code "output_too_large"). A missing file is empty.
func readOutputsFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, sdk.Failf("bad_output", "read $OPENOMA_OUTPUTS: %w", err)
	case st.Size() > MaxStdout:
		return nil, sdk.Failf("output_too_large", "the $OPENOMA_OUTPUTS file holds %d MiB, over the limit of %d MiB (the most one append carries); write large results to a file and output its path", st.Size()>>20, MaxStdout>>20)
	}
	file, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, sdk.Failf("bad_output", "read $OPENOMA_OUTPUTS: %w", err)
	}
	return file, nil
}

// commandLine returns the argv to run and how to show it: a script is
// written to a file in work and given to its interpreter.
func commandLine(cmd Command, work string) (argv, shown []string, err error) {
	if cmd.Argv != nil {
		return cmd.Argv, cmd.Argv, nil
	}
	script := filepath.Join(work, "script")
	if err := os.WriteFile(script, []byte(cmd.Script), 0o600); err != nil {
		return nil, nil, fmt.Errorf("write the script: %w", err)
	}
	argv = append(append([]string(nil), cmd.Interpreter...), script)
	shown = append(append([]string(nil), cmd.Interpreter...), "<script>")
	return argv, shown, nil
}

// failure builds a failure with the exit status and the end of stderr:
// the last line in the reason, the last StderrTail bytes in the details.
func failure(code, reason string, res processResult) error {
	tail := strings.TrimRight(string(res.StderrTail), "\n")
	if last := lastLine(tail); last != "" {
		reason += ": " + last
	}
	details := map[string]any{"exit_code": res.ExitCode, "stderr_tail": tail, "pid": res.PID}
	if res.Signal != 0 {
		details["signal"] = res.Signal.String()
	}
	return &sdk.BlockError{Failure: execution.Failure{Code: code, Reason: reason, Details: details}}
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.TrimSpace(s)
}

// prefix puts where in front of a BlockError's reason.
func prefix(where string, err error) error {
	var be *sdk.BlockError
	if errors.As(err, &be) {
		f := be.Failure
		f.Reason = where + ": " + f.Reason
		return &sdk.BlockError{Failure: f, Err: be.Err}
	}
	return fmt.Errorf("%s: %w", where, err)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
