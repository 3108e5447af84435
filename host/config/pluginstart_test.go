package config

import (
	"strings"
	"testing"
)

func TestPluginStart(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "openoma.yaml", `
plugins:
  - {name: shell, hints: [shell]}
  - {name: llm, hints: [llm], start: on_first_use}
`)
	c, err := Load(Options{File: file, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Plugins[0].Start != "" || c.Plugins[1].Start != PluginStartOnFirstUse {
		t.Errorf("start = %q, %q", c.Plugins[0].Start, c.Plugins[1].Start)
	}
	file = writeFile(t, dir, "bad.yaml", `
plugins:
  - {name: shell, hints: [shell], start: lazily}
`)
	_, err = Load(Options{File: file, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), `plugins[0].start: must be at_start or on_first_use, got "lazily"`) {
		t.Errorf("bad start: %v", err)
	}
}
