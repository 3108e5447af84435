package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/openoma/openoma/store/badger"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const validYAML = `
data_dir: data
definitions: [defs, /abs/defs]
store:
  durability: async
  gc_interval: 1m
plugins:
  - name: shell
    hints: [shell]
    max_concurrency: 4
  - name: llm-stub
    path: ./bin/llm
    hints: ["*"]
routing:
  default_plugin: llm-stub
  conditions_plugin: llm-stub
engine:
  call_timeout: 5s
`

func TestLoadFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "openoma.yaml", validYAML)

	tests := []struct {
		name    string
		environ []string
		flags   []string
		check   func(t *testing.T, c *Config)
	}{
		{"file values and resolved paths", nil, nil, func(t *testing.T, c *Config) {
			if c.DataDir != filepath.Join(dir, "data") {
				t.Errorf("data_dir = %q, want it resolved against the file's directory", c.DataDir)
			}
			if c.Definitions[0] != filepath.Join(dir, "defs") || c.Definitions[1] != "/abs/defs" {
				t.Errorf("definitions = %q", c.Definitions)
			}
			if c.Plugins[1].Path != filepath.Join(dir, "bin/llm") {
				t.Errorf("plugin path = %q", c.Plugins[1].Path)
			}
			if c.Store.Durability != "async" || c.Store.GCInterval != time.Minute || c.Engine.CallTimeout != 5*time.Second {
				t.Errorf("store/engine = %+v %+v", c.Store, c.Engine)
			}
			if c.Store.MemTableSizeMB != Defaults().Store.MemTableSizeMB {
				t.Errorf("unset key lost its default: %d", c.Store.MemTableSizeMB)
			}
		}},
		{"environment overrides file", []string{"OPENOMA_STORE_DURABILITY=sync", "OPENOMA_DATA_DIR=elsewhere", "HOME=/x"}, nil, func(t *testing.T, c *Config) {
			if c.Store.Durability != "sync" {
				t.Errorf("durability = %q", c.Store.Durability)
			}
			if c.DataDir != "elsewhere" {
				t.Errorf("data_dir from env must stay relative to the working dir, got %q", c.DataDir)
			}
		}},
		{"flag overrides environment", []string{"OPENOMA_LOG_LEVEL=warn"}, []string{"--log-level=debug"}, func(t *testing.T, c *Config) {
			if c.LogLevel != "debug" {
				t.Errorf("log_level = %q", c.LogLevel)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			fs.String("log-level", "", "")
			fs.String("data-dir", "", "")
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			env := tt.environ
			if env == nil {
				env = []string{}
			}
			c, err := Load(Options{File: file, Flags: fs, Environ: env})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key", "data_dir: d\nstorage:\n  durability: sync\n", []string{"storage"}},
		{"misspelt nested key", "store:\n  durabilty: sync\n", []string{"store.durabilty"}},
		{"bad durability", "store:\n  durability: fast\n", []string{`store.durability: "fast" is not one of sync, async`}},
		{"bad duration", "engine:\n  call_timeout: soon\n", []string{"engine.call_timeout", "invalid duration"}},
		{"duplicate plugin", "plugins:\n - {name: a, hints: [x]}\n - {name: a, hints: [y]}\n", []string{`plugins[1].name: plugin "a" is configured twice`}},
		{"bad checksum", "plugins:\n - {name: a, hints: [x], sha256: abc}\n", []string{"plugins[0].sha256: must be 64 hexadecimal characters"}},
		{"unreachable plugin", "plugins:\n - {name: a}\n", []string{`plugins[0].hints: plugin "a" serves no hints`}},
		{"routing to unknown plugin", "plugins:\n - {name: a, hints: [x]}\nrouting:\n  conditions_plugin: b\n", []string{`routing.conditions_plugin: names plugin "b", which is not in plugins (have: a)`}},
		{"several problems at once", "log_level: loud\nstore:\n  durability: x\n", []string{"log_level", "store.durability"}},
		{"unknown key and bad value together", "store:\n  durability: x\n  durabilty: sync\n", []string{"unknown key(s): store.durabilty", `store.durability: "x"`}},
		{"malformed yaml", "plugins: [\n", []string{"openoma.yaml"}},
		{"person without os user", "tasks:\n  people:\n   - {name: alice}\n", []string{"tasks.people[0].os_user: must name an OS user"}},
		{"os user twice", "tasks:\n  people:\n   - {os_user: a}\n   - {os_user: a}\n", []string{`tasks.people[1].os_user: OS user "a" is listed twice`}},
		{"misspelt person key", "tasks:\n  people:\n   - {os_user: a, group: [x]}\n", []string{"group"}},
		{"empty group", "tasks:\n  people:\n   - {os_user: a, groups: [\"\"]}\n", []string{"tasks.people[0].groups[0]: must not be empty"}},
		{"bad check interval", "tasks:\n  check_interval: 0s\n", []string{"tasks.check_interval: must be positive"}},
		{"negative escalation", "tasks:\n  escalation: {group: leads, after: -1h}\n", []string{"tasks.escalation.after: must not be negative"}},
		{"inbox not loopback", "inbox:\n  address: 0.0.0.0:8470\n", []string{`inbox.address: "0.0.0.0:8470" is not a loopback address`}},
		{"inbox without port", "inbox:\n  address: 127.0.0.1\n", []string{"inbox.address", "not host:port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "openoma.yaml", tt.yaml)
			_, err := Load(Options{File: file, Environ: []string{}})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadWithoutFileUsesDefaults(t *testing.T) {
	c, err := Load(Options{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if c.DataDir != d.DataDir || c.Store.Durability != DurabilitySync || c.Engine.CallTimeout != d.Engine.CallTimeout {
		t.Errorf("got %+v", c)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(Options{File: filepath.Join(t.TempDir(), "nope.yaml"), Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
}

// TestExampleConfigLoads keeps config.example.yaml, the documented list of
// every key, in step with the code: an unknown or misspelt key there fails.
func TestExampleConfigLoads(t *testing.T) {
	c, err := Load(Options{File: "../../config.example.yaml", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Plugins) == 0 || c.Routing.ConditionsPlugin == "" {
		t.Fatalf("example config lost its plugins/routing: %+v", c)
	}
}

func TestLoadTasksAndInbox(t *testing.T) {
	file := writeFile(t, t.TempDir(), "openoma.yaml", `
tasks:
  people:
    - {os_user: alice, name: Alice, groups: [reviewers, leads]}
    - {os_user: "1001"}
  admins: [Carol]
  escalation: {group: leads, after: 4h}
  check_interval: 30s
inbox:
  address: "[::1]:0"
`)
	c, err := Load(Options{File: file, Environ: []string{"OPENOMA_INBOX_ADDRESS=127.0.0.1:8470"}})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Tasks.People
	if len(p) != 2 || p[0].OSUser != "alice" || p[0].Name != "Alice" || strings.Join(p[0].Groups, ",") != "reviewers,leads" || p[1].OSUser != "1001" {
		t.Errorf("people = %+v", p)
	}
	if strings.Join(c.Tasks.Admins, ",") != "Carol" || c.Tasks.Escalation.Group != "leads" || c.Tasks.Escalation.After != 4*time.Hour || c.Tasks.CheckInterval != 30*time.Second {
		t.Errorf("tasks = %+v", c.Tasks)
	}
	if c.Inbox.Address != "127.0.0.1:8470" {
		t.Errorf("inbox.address = %q, want the environment's", c.Inbox.Address)
	}
}

// TestStoreDefaultsMatchTheStore keeps the config's store defaults equal
// to store/badger's, whose figures docs/benchmarks.md measured.
func TestStoreDefaultsMatchTheStore(t *testing.T) {
	d := Defaults().Store
	b := badger.DefaultOptions()
	if int64(d.MemTableSizeMB)<<20 != b.MemTableSize || int64(d.BlockCacheMB)<<20 != b.BlockCacheSize ||
		int64(d.IndexCacheMB)<<20 != b.IndexCacheSize || int64(d.ValueLogFileSizeMB)<<20 != b.ValueLogFileSize ||
		d.GCInterval != b.GCInterval || int64(d.MinFreeSpaceMB)<<20 != b.MinFreeSpace {
		t.Fatalf("config store defaults %+v differ from badger.DefaultOptions() %+v", d, b)
	}
}

// TestManualExampleConfigLoads keeps the Q3 example's people-in-the-loop
// config valid.
func TestManualExampleConfigLoads(t *testing.T) {
	c, err := Load(Options{File: "../../examples/openoma-manual.yaml", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Routing.ConditionsPlugin != "manual" || c.Inbox.Address == "" || len(c.Tasks.People) == 0 {
		t.Fatalf("manual example config: %+v", c)
	}
}
