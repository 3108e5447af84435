package plugins

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A plugin that exits before the handshake is reported with what it wrote
// on stderr, in the start error and in Status, not only go-plugin's
// "exited during the handshake".
func TestStartErrorCarriesPluginStderr(t *testing.T) {
	const cause = "bad fixtures: open examples/missing.yaml: no such file or directory"
	m := newManager(t, []Spec{{Name: "test", Hints: []string{"test"},
		Env: []string{"TESTPLUGIN_FAIL_AT_START=" + cause}}}, Options{StartTimeout: 5 * time.Second})
	err := m.Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded with a plugin that exits at once")
	}
	for _, want := range []string{cause, "some earlier line", "exit status 2", `plugin "test"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Unrecognized remote plugin message") {
		t.Errorf("start error still carries go-plugin's handshake noise:\n%v", err)
	}
	st := m.Status()
	if len(st) != 1 || !strings.Contains(st[0].LastError, cause) {
		t.Errorf("Status LastError does not carry the cause: %+v", st)
	}
}

func TestStderrTailKeepsLastLines(t *testing.T) {
	tail := newStderrTail(nopCloser{strings.NewReader("")})
	for i := range tailLines + 3 {
		tail.add([]byte(strings.Repeat("x", i) + "\n"))
	}
	tail.add([]byte(`{"@level":"error","@message":"load config","error":"no such file"}` + "\npartial"))
	got := tail.last(0)
	if len(got) != tailLines+1 {
		t.Fatalf("kept %d lines, want %d: %q", len(got), tailLines+1, got)
	}
	if got[len(got)-2] != "load config: no such file" || got[len(got)-1] != "partial" {
		t.Errorf("last lines = %q", got[len(got)-2:])
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
