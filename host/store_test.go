package host

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/postgres/pgtest"
)

// twoStepFlow is a flow of two blocks that host/plugins/internal/testplugin
// completes, writing their events through the brokered store.
const twoStepFlow = `
kind: work_block
name: Pause
version: 1
inputs: []
outputs: []
execution_hints: [test]
---
kind: flow
name: Two Pauses
version: 1
nodes:
  - {alias: first, block: Pause@1}
  - {alias: second, block: Pause@1}
edges:
  - {to: first}
  - {from: first, to: second}
`

// TestHostOnPostgres runs a flow on a host whose store is PostgreSQL (the
// plugin's events go through the brokered store into it),
// closes the host, and reads the execution back through a second host
// on the same database: the log lives in PostgreSQL, not in data_dir.
func TestHostOnPostgres(t *testing.T) {
	dsn, schema := pgtest.Schema(t)
	defs := filepath.Join(t.TempDir(), "flow.yaml")
	if err := os.WriteFile(defs, []byte(twoStepFlow), 0o600); err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(t.TempDir(), "openoma-plugin-test")
	if out, err := exec.Command("go", "build", "-o", plugin, "./plugins/internal/testplugin").CombinedOutput(); err != nil {
		t.Fatalf("go build testplugin: %v\n%s", err, out)
	}
	hostOn := func(dataDir string) *Host {
		cfg := config.Defaults()
		cfg.DataDir = dataDir
		cfg.Definitions = []string{defs}
		cfg.Plugins = []config.Plugin{{Name: "test", Path: plugin, Hints: []string{"test"}}}
		cfg.Store.Backend = config.BackendPostgres
		cfg.Store.Postgres.DSN, cfg.Store.Postgres.Schema = dsn, schema
		h, err := Open(&cfg, nil, Options{})
		if err != nil {
			t.Fatalf("Open on postgres: %v", err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	first := hostOn(t.TempDir())
	if err := first.Run(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := first.Engine().StartFlow(ctx, "Two Pauses", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := first.Engine().Wait(ctx, id); err != nil || st != execution.StateCompleted {
		t.Fatalf("flow ended %s, %v; want completed", st, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Another host, another data directory, the same database.
	second := hostOn(t.TempDir())
	info, err := second.Store().Execution(ctx, id)
	if err != nil || !info.Terminal {
		t.Fatalf("the second host reads execution %s as %+v, %v; want it terminal", id, info, err)
	}
	blocks, err := second.Store().ListExecutions(ctx, store.Filter{Parent: id})
	if err != nil || len(blocks) != 2 {
		t.Fatalf("the second host lists %d blocks, %v; want 2", len(blocks), err)
	}
	if st := second.Store().Stats(); st.Appends != 0 {
		t.Errorf("the reading host counts %d appends of its own, want 0", st.Appends)
	}
	// Backups of a PostgreSQL store are pg_dump's job; the host says so.
	err = second.Backup(ctx, &strings.Builder{})
	if !errors.Is(err, ErrBackupUnsupported) || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup on postgres = %v, want ErrBackupUnsupported pointing at pg_dump", err)
	}
}

// TestOpenStoreErrorsNameTheKey: a wrong DSN file or an unreachable
// server is reported against the configuration key.
func TestOpenStoreErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct {
		name string
		pg   config.Postgres
		want string
	}{
		{"missing dsn file", config.Postgres{DSNFile: filepath.Join(t.TempDir(), "nope"), Schema: "openoma", PollInterval: time.Second}, "store.postgres.dsn_file"},
		{"unreachable server", config.Postgres{DSN: "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2", Schema: "openoma", PollInterval: time.Second}, "store.backend postgres"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Defaults()
			cfg.DataDir = t.TempDir()
			cfg.Store.Backend, cfg.Store.Postgres = config.BackendPostgres, c.pg
			_, err := OpenStore(t.Context(), &cfg, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("OpenStore = %v, want an error naming %s", err, c.want)
			}
		})
	}
}
