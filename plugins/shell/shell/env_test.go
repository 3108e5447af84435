package shell

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestInputEnvName(t *testing.T) {
	cases := map[string]string{
		"ticket_id":  "OPENOMA_INPUT_TICKET_ID",
		"ticket-id":  "OPENOMA_INPUT_TICKET_ID",
		"TicketID":   "OPENOMA_INPUT_TICKETID",
		"a.b c":      "OPENOMA_INPUT_A_B_C",
		"2fa":        "OPENOMA_INPUT_2FA",
		"café":       "OPENOMA_INPUT_CAF_",
		"":           "OPENOMA_INPUT_",
		"x$(rm -rf)": "OPENOMA_INPUT_X__RM__RF_",
	}
	for in, want := range cases {
		if got := InputEnvName(in); got != want {
			t.Errorf("InputEnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInputEnvValue(t *testing.T) {
	cases := []struct {
		in     any
		want   string
		wantOK bool
	}{
		{"PROJ-142", "PROJ-142", true},
		{`he said "hi"; rm -rf /`, `he said "hi"; rm -rf /`, true},
		{4.5, "4.5", true},
		{float64(3), "3", true},
		{true, "true", true},
		{[]any{"a", 1.0}, `["a",1]`, true},
		{map[string]any{"k": "v"}, `{"k":"v"}`, true},
		{nil, "", false},
	}
	for _, c := range cases {
		got, ok, err := InputEnvValue(c.in)
		if err != nil || got != c.want || ok != c.wantOK {
			t.Errorf("InputEnvValue(%#v) = %q, %v, %v; want %q, %v", c.in, got, ok, err, c.want, c.wantOK)
		}
	}
}

func TestCommandEnv(t *testing.T) {
	plugin := []string{
		"PATH=/opt/bin:/usr/bin", "HOME=/home/op", "SECRET_TOKEN=s3cr3t", "AWS_PROFILE=prod",
		"OPENOMA_DEMO_FAILING_TESTS=auth", "OPENOMA_PLUGIN_MAGIC_COOKIE=cookie", "OPENOMA_INPUT_STALE=old",
		"OPENOMA_EXECUTION_ID=not-this-one", "PLUGIN_CLIENT_CERT=cert",
	}
	id, flow := uuid.New(), uuid.New()
	r := run{ExecutionID: id, FlowExecutionID: flow, Attempt: 2, BlockName: "Deploy", BlockVersion: 3, OutputsPath: "/tmp/o.json"}
	env, files, err := commandEnv(plugin, Command{Env: []string{"AWS_PROFILE", "UNSET_NAME"}}, r, map[string]any{
		"ticket-id": "PROJ-1", "count": 3.0, "nothing": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("small inputs passed by file: %v", files)
	}
	want := []string{
		"AWS_PROFILE=prod",
		"HOME=/home/op",
		"OPENOMA_ATTEMPT=2",
		"OPENOMA_BLOCK_NAME=Deploy",
		"OPENOMA_BLOCK_VERSION=3",
		"OPENOMA_DEMO_FAILING_TESTS=auth",
		"OPENOMA_EXECUTION_ID=" + id.String(),
		"OPENOMA_FLOW_EXECUTION_ID=" + flow.String(),
		"OPENOMA_INPUT_COUNT=3",
		"OPENOMA_INPUT_TICKET_ID=PROJ-1",
		"OPENOMA_OUTPUTS=/tmp/o.json",
		"PATH=/opt/bin:/usr/bin",
	}
	if !slices.Equal(env, want) {
		t.Errorf("env:\n  %s\nwant:\n  %s", strings.Join(env, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestCommandEnvDefaultPath(t *testing.T) {
	env, _, err := commandEnv(nil, Command{}, run{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, "PATH="+defaultPath) {
		t.Errorf("env %v lacks the default PATH", env)
	}
}

func TestCommandEnvErrors(t *testing.T) {
	cases := []struct {
		name   string
		inputs map[string]any
		want   string
	}{
		{"collision", map[string]any{"a-b": "1", "a_b": "2"}, `inputs "a-b" and "a_b" both map to the variable OPENOMA_INPUT_A_B`},
		{"file variable taken", map[string]any{"a": strings.Repeat("x", MaxEnvValue+1), "a_file": "2"},
			`inputs "a" and "a_file" both map to the variable OPENOMA_INPUT_A_FILE`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := commandEnv(nil, Command{}, run{}, c.inputs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestCommandEnvLargeValuesByFile: a value over MaxEnvValue, or with a NUL
// byte, goes to a file named by OPENOMA_INPUT_<NAME>_FILE, not into the
// environment.
func TestCommandEnvLargeValuesByFile(t *testing.T) {
	cases := []struct {
		name   string
		value  any
		byFile bool
		data   string
	}{
		{"at the limit", strings.Repeat("a", MaxEnvValue), false, ""},
		{"over the limit", strings.Repeat("b", MaxEnvValue+1), true, strings.Repeat("b", MaxEnvValue+1)},
		{"NUL byte", "a\x00b", true, "a\x00b"},
		{"large JSON", []any{strings.Repeat("c", MaxEnvValue)}, true, `["` + strings.Repeat("c", MaxEnvValue) + `"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, files, err := commandEnv(nil, Command{}, run{InputsDir: "/work"}, map[string]any{"blob": c.value})
			if err != nil {
				t.Fatal(err)
			}
			inEnv := slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "OPENOMA_INPUT_BLOB=") })
			fileVar := slices.Contains(env, "OPENOMA_INPUT_BLOB_FILE=/work/OPENOMA_INPUT_BLOB")
			if c.byFile != fileVar || c.byFile == inEnv {
				t.Fatalf("by file: %v, in the environment: %v; want by file %v", fileVar, inEnv, c.byFile)
			}
			if c.byFile && (len(files) != 1 || files[0].Path != "/work/OPENOMA_INPUT_BLOB" || string(files[0].Data) != c.data) {
				t.Errorf("files %d, want the value at /work/OPENOMA_INPUT_BLOB", len(files))
			}
		})
	}
}
