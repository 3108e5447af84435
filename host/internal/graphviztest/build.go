// Package graphviztest builds the openoma-graphviz layout program for tests
// that draw graphs, and points the renderer at it.
package graphviztest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Install builds cmd/openoma-graphviz into a temporary directory and sets
// OPENOMA_GRAPHVIZ to it; the returned func removes it. Call it from
// TestMain.
func Install() (func(), error) {
	dir, err := os.MkdirTemp("", "openoma-graphviz-test")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "openoma-graphviz")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/openoma/openoma/cmd/openoma-graphviz")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build openoma-graphviz: %w\n%s", err, out)
	}
	if err := os.Setenv("OPENOMA_GRAPHVIZ", bin); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return func() { os.RemoveAll(dir) }, nil
}
