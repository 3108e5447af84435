package validate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// TestQ3LaunchExample loads the repository's example organisation (spec
// §6) and checks it is valid, runnable included, as the CLI will.
func TestQ3LaunchExample(t *testing.T) {
	dir := filepath.Join("..", "examples", "q3-launch")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("example missing: %v", err)
	}
	cat, err := core.Load(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	if blocks, flows, contracts := cat.Counts(); blocks == 0 || flows == 0 || contracts == 0 {
		t.Fatalf("example loaded %d blocks, %d flows, %d contracts", blocks, flows, contracts)
	}
	if err := validate.Catalog(cat, validate.RequireRunnable()); err != nil {
		t.Fatalf("example is invalid:\n%v", err)
	}
}

// TestCanonicalJSONValidates writes the fixture in the canonical JSON
// layout (Python openoma's model_dump(mode="json") field layout), loads it
// back through core.Load and validates it: clean when valid, and with the
// file and line of the offending entity when not.
func TestCanonicalJSONValidates(t *testing.T) {
	write := func(fx *fixture) string {
		entities := []any{fx.triage, fx.impl, fx.review, fx.verdict, fx.sprint, fx.release, fx.launch, fx.infra}
		data, err := json.MarshalIndent(entities, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "org.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	load := func(path string) *core.Catalog {
		cat, err := core.Load(path)
		if err != nil {
			t.Fatalf("loading canonical JSON: %v", err)
		}
		return cat
	}
	if err := validate.Catalog(load(write(newFixture())), validate.RequireRunnable()); err != nil {
		t.Fatalf("valid organisation in canonical JSON: %v", err)
	}

	fx := newFixture()
	fx.sprint.Edges[3].PortMappings[0].SourcePort = "pr_link"
	path := write(fx)
	list := validate.Errors(validate.Catalog(load(path)))
	if len(list) != 1 {
		t.Fatalf("want one error, got %v", list)
	}
	got := list[0]
	if got.File != path || got.Line < 2 || got.Entity != `flow "Engineering Sprint Cycle" v1` ||
		got.Path != "edges[3].port_mappings[0].source_port" ||
		got.Message != `"pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)` {
		t.Errorf("unexpected error %+v", *got)
	}
}
