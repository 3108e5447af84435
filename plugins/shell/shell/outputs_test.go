package shell

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openoma/openoma/sdk"
)

func TestParseOutputs(t *testing.T) {
	cases := []struct {
		name       string
		stdout     string
		file       string
		declares   bool
		want       map[string]any
		wantSource string
		wantErr    string
	}{
		{name: "stdout object", stdout: `{"ok": true, "n": 2}`, declares: true, want: map[string]any{"ok": true, "n": 2.0}, wantSource: sourceStdout},
		{name: "log lines then object", stdout: "building…\ndone\n{\"ok\": true}\n", declares: true, want: map[string]any{"ok": true}, wantSource: sourceStdout},
		{name: "pretty-printed object", stdout: "{\n  \"ok\": true\n}\n", declares: true, want: map[string]any{"ok": true}, wantSource: sourceStdout},
		{name: "file wins over stdout", stdout: "{\"ok\": false}", file: `{"ok": true}`, declares: true, want: map[string]any{"ok": true}, wantSource: sourceOutputsFile},
		{name: "empty file falls back to stdout", stdout: `{"ok": true}`, file: "\n", declares: true, want: map[string]any{"ok": true}, wantSource: sourceStdout},
		{name: "nothing printed", stdout: " \n", declares: true, want: map[string]any{}, wantSource: sourceStdout},
		{name: "free text without declared outputs", stdout: "all good\n", declares: false, want: map[string]any{}, wantSource: sourceStdout},
		{name: "free text with declared outputs", stdout: "all good\n", declares: true, wantErr: "stdout is not a JSON object of outputs"},
		{name: "array", stdout: `[1, 2]`, declares: true, wantErr: "got a JSON array, want an object"},
		{name: "two objects", stdout: `{"a": 1} {"b": 2}`, declares: true, wantErr: "more than one JSON value"},
		{name: "bad file", file: `{"a": `, declares: true, wantErr: "the $OPENOMA_OUTPUTS file does not hold a JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, source, err := parseOutputs([]byte(c.stdout), []byte(c.file), c.declares)
			if c.wantErr != "" {
				var be *sdk.BlockError
				if !errors.As(err, &be) || be.Failure.Code != "bad_output" || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want a bad_output failure mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) || source != c.wantSource {
				t.Errorf("got %v from %s, want %v from %s", got, source, c.want, c.wantSource)
			}
		})
	}
}

func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", 3*maxLine)
	var got []string
	readLines(strings.NewReader("one\r\ntwo\n"+long+"\nlast"), func(l string) { got = append(got, l) })
	if len(got) != 4 || got[0] != "one" || got[1] != "two" || len(got[2]) != maxLine || got[3] != "last" {
		t.Errorf("lines: %d %q", len(got), got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 5}
	_, _ = b.Write([]byte("abc"))
	_, _ = b.Write([]byte("defg"))
	if got := string(b.bytes()); got != "cdefg" {
		t.Errorf("tail %q, want cdefg", got)
	}
}
