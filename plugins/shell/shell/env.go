package shell

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Environment variables the plugin gives every command.
const (
	EnvExecutionID     = "OPENOMA_EXECUTION_ID"
	EnvFlowExecutionID = "OPENOMA_FLOW_EXECUTION_ID"
	EnvAttempt         = "OPENOMA_ATTEMPT"
	EnvOutputs         = "OPENOMA_OUTPUTS"
	EnvBlockName       = "OPENOMA_BLOCK_NAME"
	EnvBlockVersion    = "OPENOMA_BLOCK_VERSION"
	EnvNodeAlias       = "OPENOMA_NODE_ALIAS"
	// EnvInputPrefix starts the name of each input's variable.
	EnvInputPrefix = "OPENOMA_INPUT_"
)

// defaultPath is the command's PATH when the plugin has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// InputEnvName returns the variable that carries input port name:
// OPENOMA_INPUT_ and the name upper-cased, every character other than an
// ASCII letter or digit replaced by "_" ("ticket-id" → OPENOMA_INPUT_TICKET_ID).
func InputEnvName(name string) string {
	var b strings.Builder
	b.WriteString(EnvInputPrefix)
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// InputEnvValue renders an input value for its variable: a string as it
// is, anything else as JSON. ok is false for null (the variable is then
// left unset, so `${OPENOMA_INPUT_X:-default}` works).
func InputEnvValue(v any) (value string, ok bool, err error) {
	switch s := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return s, true, nil
	}
	text, err := json.Marshal(v)
	if err != nil {
		return "", false, err
	}
	return string(text), true, nil
}

// run describes one execution of a command, for its environment.
type run struct {
	ExecutionID     uuid.UUID
	FlowExecutionID uuid.UUID
	Attempt         int
	BlockName       string
	BlockVersion    int
	NodeAlias       string
	OutputsPath     string
	// InputsDir is where inputs passed by file are written.
	InputsDir string
}

// MaxEnvValue is the largest input value passed in its OPENOMA_INPUT_<NAME>
// variable. A bigger one — Linux refuses an environment string over
// 128 KiB, and big environments slow every exec — or one holding a NUL
// byte is written to a file instead, whose path is in
// OPENOMA_INPUT_<NAME>_FILE (and OPENOMA_INPUT_<NAME> is left unset).
// Every input is on stdin, as one JSON object, either way.
const MaxEnvValue = 64 << 10

// FileEnvSuffix ends the name of the variable that holds the path of an
// input passed by file.
const FileEnvSuffix = "_FILE"

// inputFile is an input value passed by file.
type inputFile struct {
	Path string
	Data []byte
}

// commandEnv builds a command's environment from the plugin's (environ,
// as os.Environ gives it): PATH and HOME; every OPENOMA_* variable of the
// plugin except the plugin's own settings (OPENOMA_PLUGIN_*) and anything
// that would shadow a per-run variable; the names cmd.Env allows; then the
// per-run variables and one OPENOMA_INPUT_<NAME> per input — or, for a
// value over MaxEnvValue or holding a NUL byte, OPENOMA_INPUT_<NAME>_FILE
// naming a file in r.InputsDir, which it returns for the caller to write.
// Two inputs whose names map to the same variable are an error.
func commandEnv(environ []string, cmd Command, r run, inputs map[string]any) ([]string, []inputFile, error) {
	env := baseEnv(environ, cmd, r)
	var files []inputFile
	owner := map[string]string{}
	claim := func(key, name string) error {
		if other, ok := owner[key]; ok {
			return fmt.Errorf("inputs %q and %q both map to the variable %s; rename one of the ports", other, name, key)
		}
		owner[key] = name
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		key := InputEnvName(name)
		if err := claim(key, name); err != nil {
			return nil, nil, err
		}
		value, ok, err := InputEnvValue(inputs[name])
		if err != nil {
			return nil, nil, fmt.Errorf("input %q: cannot encode as JSON: %w", name, err)
		}
		if !ok {
			continue
		}
		if len(value) <= MaxEnvValue && !strings.ContainsRune(value, 0) {
			env[key] = value
			continue
		}
		if err := claim(key+FileEnvSuffix, name); err != nil {
			return nil, nil, err
		}
		path := filepath.Join(r.InputsDir, key)
		env[key+FileEnvSuffix] = path
		files = append(files, inputFile{Path: path, Data: []byte(value)})
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, files, nil
}

// baseEnv is a command's environment without its inputs.
func baseEnv(environ []string, cmd Command, r run) map[string]string {
	plugin := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			plugin[k] = v
		}
	}
	env := map[string]string{"PATH": defaultPath}
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := plugin[k]; ok {
			env[k] = v
		}
	}
	for k, v := range plugin {
		if strings.HasPrefix(k, "OPENOMA_") && !strings.HasPrefix(k, "OPENOMA_PLUGIN_") && !strings.HasPrefix(k, EnvInputPrefix) {
			env[k] = v
		}
	}
	for _, k := range cmd.Env {
		if v, ok := plugin[k]; ok {
			env[k] = v
		}
	}
	env[EnvExecutionID] = r.ExecutionID.String()
	env[EnvFlowExecutionID] = r.FlowExecutionID.String()
	env[EnvAttempt] = strconv.Itoa(r.Attempt)
	env[EnvOutputs] = r.OutputsPath
	env[EnvBlockName] = r.BlockName
	env[EnvBlockVersion] = strconv.Itoa(r.BlockVersion)
	if r.NodeAlias != "" {
		env[EnvNodeAlias] = r.NodeAlias
	} else {
		delete(env, EnvNodeAlias)
	}
	return env
}
