package shell

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/openoma/openoma/core"
)

// FuzzParseOutputs: any stdout and outputs file gives outputs or a
// bad_output failure, never a panic.
func FuzzParseOutputs(f *testing.F) {
	f.Add([]byte(`{"ok": true}`), []byte(""), true)
	f.Add([]byte("log\n{\"n\": 1}\n"), []byte(`{"n": 2}`), true)
	f.Fuzz(func(t *testing.T, stdout, file []byte, declares bool) {
		out, source, err := parseOutputs(stdout, file, declares)
		if err == nil && out == nil {
			t.Fatalf("no error and no outputs (source %s)", source)
		}
		if source != sourceStdout && source != sourceOutputsFile {
			t.Fatalf("source %q", source)
		}
	})
}

// FuzzParseCommand: any block and node `shell` metadata (as JSON) parses
// or gives an ErrBadMetadata error.
func FuzzParseCommand(f *testing.F) {
	f.Add([]byte(`{"argv": ["echo", "hi"], "timeout": "5s"}`), []byte(`null`))
	f.Add([]byte(`"echo hi"`), []byte(`{"timeout": "1s", "env": ["A"]}`))
	f.Fuzz(func(t *testing.T, blockJSON, nodeJSON []byte) {
		var blockShell, nodeShell any
		if json.Unmarshal(blockJSON, &blockShell) != nil || json.Unmarshal(nodeJSON, &nodeShell) != nil {
			t.Skip()
		}
		block := core.WorkBlock{Name: "F", Metadata: core.Metadata{"shell": blockShell}}
		node := core.NodeReference{Metadata: core.Metadata{"shell": nodeShell}}
		cmd, err := ParseCommand(block, node)
		if err != nil {
			if !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("error %v does not wrap ErrBadMetadata", err)
			}
			return
		}
		if (cmd.Argv == nil) == (cmd.Script == "") {
			t.Fatalf("parsed a command with neither or both of argv and script: %+v", cmd)
		}
	})
}

// FuzzInputEnvName: every port name maps to a valid variable name.
func FuzzInputEnvName(f *testing.F) {
	f.Add("ticket-id")
	f.Fuzz(func(t *testing.T, name string) {
		got := InputEnvName(name)
		for _, r := range got {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
				t.Fatalf("InputEnvName(%q) = %q holds %q", name, got, r)
			}
		}
	})
}
