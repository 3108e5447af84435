package shell

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/sdk"
)

// MetadataKey is the block and node metadata key that holds the command.
const MetadataKey = "shell"

// Defaults of the optional settings.
const (
	DefaultInterpreter = "sh"
	DefaultKillGrace   = 3 * time.Second
)

// ErrBadMetadata is wrapped by every error about a block's shell metadata.
var ErrBadMetadata = errors.New("bad shell metadata")

// Command is what a block's `shell` metadata asks the plugin to run.
type Command struct {
	// Argv is the program and its arguments, run directly (no shell).
	Argv []string
	// Script is a program text, written to a file and run with Interpreter.
	Script string
	// Interpreter is the program (and its leading arguments) that runs
	// Script; ["sh"] by default.
	Interpreter []string
	// Timeout ends the command (its whole process group) after this long;
	// 0 means no limit.
	Timeout time.Duration
	// KillGrace is how long a command has to exit after SIGTERM (on
	// timeout or cancel) before its process group gets SIGKILL.
	KillGrace time.Duration
	// Dir is the working directory; "" is the plugin's.
	Dir string
	// Env names variables passed through from the plugin's environment.
	Env []string
	// Idempotent says the command may safely run again after it was
	// interrupted (the default). When false, resuming an interrupted run
	// fails it instead.
	Idempotent bool
	// StreamStderr sends the command's stderr lines as progress events.
	StreamStderr bool
}

var (
	commandKeys = []string{"argv", "script", "interpreter"}
	allKeys     = []string{"argv", "script", "interpreter", "timeout", "kill_grace", "dir", "env", "idempotent", "stream_stderr"}
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ParseCommand reads the command of a block run from the `shell` metadata
// of the block and of the node, the node winning: when the node names a
// command (argv or script) it replaces the block's command (argv, script
// and interpreter together); any other key the node sets replaces the
// block's value of that key. A plain string is short for {script: …}.
// Errors wrap ErrBadMetadata and name the block, the node and the field.
func ParseCommand(block core.WorkBlock, node core.NodeReference) (Command, error) {
	where := sdk.Where(block, node)
	blockMap, err := settingsMap(block.Metadata[MetadataKey], "block")
	if err != nil {
		return Command{}, fmt.Errorf("%w: %s: %w", ErrBadMetadata, where, err)
	}
	nodeMap, err := settingsMap(node.Metadata[MetadataKey], "node")
	if err != nil {
		return Command{}, fmt.Errorf("%w: %s: %w", ErrBadMetadata, where, err)
	}
	if blockMap == nil && nodeMap == nil {
		return Command{}, fmt.Errorf("%w: %s has no %q metadata (want shell: {argv: [program, args…]} or shell: {script: …})",
			ErrBadMetadata, where, MetadataKey)
	}
	merged, from := merge(blockMap, nodeMap)
	cmd, err := decode(merged, from)
	if err != nil {
		return Command{}, fmt.Errorf("%w: %s: %w", ErrBadMetadata, where, err)
	}
	return cmd, nil
}

// settingsMap accepts a mapping, or a string (a script), or nothing.
func settingsMap(v any, from string) (map[string]any, error) {
	switch s := v.(type) {
	case nil:
		return nil, nil
	case string:
		return map[string]any{"script": s}, nil
	case map[string]any:
		return s, nil
	}
	return nil, fmt.Errorf("%s metadata.%s: want a mapping (argv or script, …) or a script string, got %s", from, MetadataKey, describeType(v))
}

// merge overlays node on block; from records where each key came from.
func merge(block, node map[string]any) (map[string]any, map[string]string) {
	merged := map[string]any{}
	from := map[string]string{}
	for k, v := range block {
		merged[k], from[k] = v, "block"
	}
	_, nodeArgv := node["argv"]
	_, nodeScript := node["script"]
	if nodeArgv || nodeScript {
		for _, k := range commandKeys {
			delete(merged, k)
			delete(from, k)
		}
	}
	for k, v := range node {
		merged[k], from[k] = v, "node"
	}
	return merged, from
}

func decode(m map[string]any, from map[string]string) (Command, error) {
	cmd := Command{KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true}
	field := func(key string) string { return fmt.Sprintf("%s metadata.%s.%s", from[key], MetadataKey, key) }
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field(key), fmt.Sprintf(format, args...)))
	}
	for _, key := range slices.Sorted(maps.Keys(m)) {
		v := m[key]
		switch key {
		case "argv":
			argv, ok := stringList(v)
			switch {
			case !ok:
				bad(key, "want a list of strings, got %s", describeType(v))
			case len(argv) == 0 || argv[0] == "":
				bad(key, "must name a program (a non-empty first element)")
			}
			cmd.Argv = argv
		case "script":
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				bad(key, "want a non-empty string, got %s", describeType(v))
			}
			cmd.Script = s
		case "interpreter":
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				cmd.Interpreter = []string{strings.TrimSpace(s)}
			} else if l, ok := stringList(v); ok && len(l) > 0 && l[0] != "" {
				cmd.Interpreter = l
			} else {
				bad(key, "want a program name such as \"bash\" or a list such as [bash, -eu], got %s", describeType(v))
			}
		case "timeout", "kill_grace":
			d, err := duration(v)
			if err != nil {
				bad(key, "%v", err)
			}
			if key == "timeout" {
				cmd.Timeout = d
			} else {
				cmd.KillGrace = d
			}
		case "dir":
			s, ok := v.(string)
			if !ok {
				bad(key, "want a directory path, got %s", describeType(v))
			}
			cmd.Dir = s
		case "env":
			names, ok := stringList(v)
			if !ok {
				bad(key, "want a list of variable names, got %s", describeType(v))
			}
			for _, n := range names {
				if !envName.MatchString(n) {
					bad(key, "%q is not a variable name (letters, digits and _, not starting with a digit)", n)
				}
			}
			cmd.Env = names
		case "idempotent", "stream_stderr":
			b, ok := v.(bool)
			if !ok {
				bad(key, "want true or false, got %s", describeType(v))
			}
			if key == "idempotent" {
				cmd.Idempotent = b
			} else {
				cmd.StreamStderr = b
			}
		default:
			bad(key, "unknown setting (known: %s)", strings.Join(allKeys, ", "))
		}
	}
	_, hasArgv := m["argv"]
	_, hasScript := m["script"]
	_, hasInterpreter := m["interpreter"]
	switch {
	case hasArgv && hasScript:
		errs = append(errs, fmt.Errorf("%s and %s: give one of argv and script, not both", field("argv"), field("script")))
	case !hasArgv && !hasScript:
		errs = append(errs, fmt.Errorf("metadata.%s: names no command (want argv: [program, args…] or script: …)", MetadataKey))
	case hasArgv && hasInterpreter:
		errs = append(errs, fmt.Errorf("%s: applies to script only; argv names its program itself", field("interpreter")))
	}
	if hasScript && cmd.Interpreter == nil {
		cmd.Interpreter = []string{DefaultInterpreter}
	}
	return cmd, errors.Join(errs...)
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		if s, ok := v.([]string); ok {
			return s, true
		}
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

func duration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("want a duration string such as \"30s\" or \"5m\", got %s", describeType(v))
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. \"30s\", \"5m\")", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

func describeType(v any) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("the string %q", t)
	case bool:
		return fmt.Sprintf("the boolean %v", t)
	case int, int64, float64, uint64:
		return fmt.Sprintf("the number %v", t)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}
