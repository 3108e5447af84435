package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreBackendKeys(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
		check   func(t *testing.T, c *Config)
		errs    []string // each must appear in the error; nil: Load succeeds
	}{
		{name: "badger by default", yaml: "data_dir: d\n", check: func(t *testing.T, c *Config) {
			if c.Store.Backend != BackendBadger {
				t.Errorf("store.backend = %q, want badger", c.Store.Backend)
			}
			if p := c.Store.Postgres; p.Schema != "openoma" || !p.Notify || p.PollInterval != time.Second {
				t.Errorf("store.postgres defaults = %+v, want schema openoma, notify on, poll 1s", p)
			}
		}},
		{name: "postgres from the file", yaml: `
data_dir: d
store:
  backend: postgres
  postgres: {dsn: "postgres://db/openoma", schema: ops, notify: false, poll_interval: 250ms}
`, check: func(t *testing.T, c *Config) {
			want := Postgres{DSN: "postgres://db/openoma", Schema: "ops", Notify: false, PollInterval: 250 * time.Millisecond}
			if c.Store.Backend != BackendPostgres || c.Store.Postgres != want {
				t.Errorf("store = %q %+v, want postgres %+v", c.Store.Backend, c.Store.Postgres, want)
			}
		}},
		{name: "DSN from the environment", yaml: "data_dir: d\nstore: {backend: postgres}\n",
			environ: []string{"OPENOMA_STORE_POSTGRES_DSN=postgres://env/db", "OPENOMA_STORE_POSTGRES_NOTIFY=false"},
			check: func(t *testing.T, c *Config) {
				if c.Store.Postgres.DSN != "postgres://env/db" || c.Store.Postgres.Notify {
					t.Errorf("store.postgres = %+v, want the environment's DSN and notify off", c.Store.Postgres)
				}
			}},
		{name: "DSN file resolved against the config file", yaml: "data_dir: d\nstore: {backend: postgres, postgres: {dsn_file: secrets/dsn}}\n",
			check: func(t *testing.T, c *Config) {
				if !filepath.IsAbs(c.Store.Postgres.DSNFile) || !strings.HasSuffix(c.Store.Postgres.DSNFile, filepath.Join("secrets", "dsn")) {
					t.Errorf("store.postgres.dsn_file = %q, want it resolved against the file's directory", c.Store.Postgres.DSNFile)
				}
			}},
		{name: "unknown backend", yaml: "data_dir: d\nstore: {backend: mysql}\n",
			errs: []string{`store.backend: "mysql" is not one of badger, postgres`}},
		{name: "postgres without a DSN", yaml: "data_dir: d\nstore: {backend: postgres}\n",
			errs: []string{"store.postgres.dsn: must be set"}},
		{name: "every postgres problem at once", yaml: `
data_dir: d
store:
  backend: postgres
  postgres: {dsn: x, dsn_file: y, schema: "Bad-Name", poll_interval: 0s}
`, errs: []string{"store.postgres.dsn_file: set store.postgres.dsn or", `store.postgres.schema: "Bad-Name"`, "store.postgres.poll_interval: must be positive"}},
		{name: "unknown postgres key", yaml: "data_dir: d\nstore: {backend: postgres, postgres: {dsn: x, pasword: y}}\n",
			errs: []string{"store.postgres.pasword"}},
		{name: "postgres keys are ignored on badger", yaml: "data_dir: d\nstore: {postgres: {schema: \"Bad-Name\"}}\n",
			check: func(t *testing.T, c *Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "openoma.yaml", tt.yaml)
			c, err := Load(Options{File: file, Environ: append([]string{}, tt.environ...)})
			if tt.errs == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want errors %q", tt.errs)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}
