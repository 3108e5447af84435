package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the CLI in-process as the command
// "openoma-host".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"openoma-host": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script: what a user types
// and what they see (output, error text, exit status).
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// graph --format svg runs the layout program; build it once.
	graphviz := filepath.Join(t.TempDir(), "openoma-graphviz")
	if out, err := exec.Command("go", "build", "-o", graphviz, "github.com/openoma/openoma/cmd/openoma-graphviz").CombinedOutput(); err != nil {
		t.Fatalf("build openoma-graphviz: %v\n%s", err, out)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("EXAMPLES", filepath.Join(root, "examples"))
			e.Setenv("OPENOMA_CONFIG", "")
			e.Setenv("OPENOMA_GRAPHVIZ", graphviz)
			return nil
		},
	})
}
