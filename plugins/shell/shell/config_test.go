package shell

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
)

func blockWith(shell any) core.WorkBlock {
	md := core.Metadata{}
	if shell != nil {
		md["shell"] = shell
	}
	return core.WorkBlock{ID: uuid.New(), Version: 2, Name: "Deploy", Metadata: md}
}

func nodeWith(shell any) core.NodeReference {
	md := core.Metadata{}
	if shell != nil {
		md["shell"] = shell
	}
	return core.NodeReference{ID: uuid.New(), Alias: "deploy-eu", Metadata: md}
}

func TestParseCommand(t *testing.T) {
	cases := []struct {
		name        string
		block, node any
		want        Command
	}{
		{
			name:  "argv with defaults",
			block: map[string]any{"argv": []any{"echo", "hi"}},
			want:  Command{Argv: []string{"echo", "hi"}, KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true},
		},
		{
			name:  "script string shorthand gets sh",
			block: "echo hi",
			want:  Command{Script: "echo hi", Interpreter: []string{"sh"}, KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true},
		},
		{
			name: "every setting",
			block: map[string]any{"script": "x", "interpreter": []any{"bash", "-eu"}, "timeout": "1m30s", "kill_grace": "0s",
				"dir": "/tmp", "env": []any{"AWS_PROFILE", "LANG"}, "idempotent": false, "stream_stderr": false},
			want: Command{Script: "x", Interpreter: []string{"bash", "-eu"}, Timeout: 90 * time.Second, Dir: "/tmp",
				Env: []string{"AWS_PROFILE", "LANG"}},
		},
		{
			name:  "node overrides a single setting and keeps the block's command",
			block: map[string]any{"argv": []any{"make", "deploy"}, "timeout": "1m", "dir": "/srv"},
			node:  map[string]any{"timeout": "5s"},
			want:  Command{Argv: []string{"make", "deploy"}, Timeout: 5 * time.Second, Dir: "/srv", KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true},
		},
		{
			name:  "node command replaces the block's command and interpreter",
			block: map[string]any{"script": "echo block", "interpreter": "bash", "dir": "/srv"},
			node:  map[string]any{"argv": []any{"true"}},
			want:  Command{Argv: []string{"true"}, Dir: "/srv", KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true},
		},
		{
			name: "node only",
			node: "exit 0",
			want: Command{Script: "exit 0", Interpreter: []string{"sh"}, KillGrace: DefaultKillGrace, Idempotent: true, StreamStderr: true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCommand(blockWith(c.block), nodeWith(c.node))
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if !equalCommand(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	cases := []struct {
		name        string
		block, node any
		wantAll     []string
	}{
		{"no metadata", nil, nil, []string{`block "Deploy" v2 (node "deploy-eu")`, `has no "shell" metadata`}},
		{"not a mapping", []any{"echo"}, nil, []string{"block metadata.shell", "got a list"}},
		{"both argv and script", map[string]any{"argv": []any{"a"}, "script": "b"}, nil, []string{"not both"}},
		{"neither", map[string]any{"timeout": "1s"}, nil, []string{"names no command"}},
		{"empty argv", map[string]any{"argv": []any{}}, nil, []string{"block metadata.shell.argv", "must name a program"}},
		{"argv not strings", map[string]any{"argv": []any{"a", 1}}, nil, []string{"metadata.shell.argv", "list of strings"}},
		{"bad timeout from the node", map[string]any{"argv": []any{"a"}}, map[string]any{"timeout": "5x"}, []string{"node metadata.shell.timeout", `"5x" is not a duration`}},
		{"numeric timeout", map[string]any{"argv": []any{"a"}, "timeout": 5}, nil, []string{"metadata.shell.timeout", "the number 5"}},
		{"negative timeout", map[string]any{"argv": []any{"a"}, "timeout": "-1s"}, nil, []string{"negative"}},
		{"bad env name", map[string]any{"argv": []any{"a"}, "env": []any{"OK", "NOT-OK"}}, nil, []string{"metadata.shell.env", `"NOT-OK" is not a variable name`}},
		{"idempotent not bool", map[string]any{"argv": []any{"a"}, "idempotent": "yes"}, nil, []string{"metadata.shell.idempotent", "true or false"}},
		{"unknown key", map[string]any{"argv": []any{"a"}, "timout": "1s"}, nil, []string{"metadata.shell.timout", "unknown setting"}},
		{"interpreter with argv", map[string]any{"argv": []any{"a"}, "interpreter": "bash"}, nil, []string{"metadata.shell.interpreter", "script only"}},
		{"several problems at once", map[string]any{"argv": []any{"a"}, "timeout": "x", "dir": 3}, nil, []string{"shell.timeout", "shell.dir"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCommand(blockWith(c.block), nodeWith(c.node))
			if !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("err = %v, want ErrBadMetadata", err)
			}
			for _, want := range c.wantAll {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func equalCommand(a, b Command) bool {
	eq := func(x, y []string) bool {
		return strings.Join(x, "\x00") == strings.Join(y, "\x00") && (x == nil) == (y == nil)
	}
	return eq(a.Argv, b.Argv) && a.Script == b.Script && eq(a.Interpreter, b.Interpreter) && a.Timeout == b.Timeout &&
		a.KillGrace == b.KillGrace && a.Dir == b.Dir && eq(a.Env, b.Env) && a.Idempotent == b.Idempotent && a.StreamStderr == b.StreamStderr
}
