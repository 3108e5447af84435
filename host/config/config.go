package config

import (
	"time"
)

// Durability modes of the event store.
const (
	DurabilitySync  = "sync"  // fsync before acknowledging an append (default)
	DurabilityAsync = "async" // acknowledge before fsync; may lose the last moments on power loss
)

// Config is the whole host configuration. Field tags are the YAML keys.
type Config struct {
	// DataDir holds the event store (Badger), the control socket and the
	// inbox secret. One host process per data dir.
	DataDir string `mapstructure:"data_dir"`
	// Definitions lists files and directories of WorkBlocks, Flows and
	// Contracts (.yaml, .yml, .json) to load at start.
	Definitions []string `mapstructure:"definitions"`
	LogLevel    string   `mapstructure:"log_level"`
	// LogFormat is "text" or "json".
	LogFormat string   `mapstructure:"log_format"`
	Store     Store    `mapstructure:"store"`
	Plugins   []Plugin `mapstructure:"plugins"`
	Routing   Routing  `mapstructure:"routing"`
	Engine    Engine   `mapstructure:"engine"`
	Control   Control  `mapstructure:"control"`
	Metrics   Metrics  `mapstructure:"metrics"`
	Tracing   Tracing  `mapstructure:"tracing"`
	Tasks     Tasks    `mapstructure:"tasks"`
	Inbox     Inbox    `mapstructure:"inbox"`
}

// Store configures the event store: the embedded Badger store (the
// default; the keys below Backend) or a shared PostgreSQL (Postgres).
type Store struct {
	// Backend is "badger" (default) or "postgres".
	Backend  string   `mapstructure:"backend"`
	Postgres Postgres `mapstructure:"postgres"`

	Durability string `mapstructure:"durability"`
	// MemTableSizeMB, BlockCacheMB and IndexCacheMB bound Badger's memory.
	MemTableSizeMB int `mapstructure:"memtable_size_mb"`
	BlockCacheMB   int `mapstructure:"block_cache_mb"`
	IndexCacheMB   int `mapstructure:"index_cache_mb"`
	// ValueLogFileSizeMB is the size of one value-log file.
	ValueLogFileSizeMB int `mapstructure:"value_log_file_size_mb"`
	// GCInterval is how often value-log garbage collection runs; 0 disables it.
	GCInterval time.Duration `mapstructure:"gc_interval"`
	// MinFreeSpaceMB is the free disk space below which appends fail with
	// "disk full" (store.ErrNoSpace) rather than risk Badger writing into
	// a file the disk cannot back; 0 disables the check.
	MinFreeSpaceMB int `mapstructure:"min_free_space_mb"`
}

// Plugin is one adapter plugin the host may launch.
type Plugin struct {
	Name string `mapstructure:"name"`
	// Path to the plugin binary. Empty: openoma-plugin-<name> beside the
	// host binary, then on PATH.
	Path string   `mapstructure:"path"`
	Args []string `mapstructure:"args"`
	// Env lists extra NAME=value pairs for the plugin process.
	Env []string `mapstructure:"env"`
	// SHA256 of the binary, hex. When set, a binary that does not match is
	// refused.
	SHA256 string `mapstructure:"sha256"`
	// Hints are the execution hints routed to this plugin; "*" takes any.
	Hints []string `mapstructure:"hints"`
	// MaxConcurrency bounds the blocks running on this plugin at once.
	MaxConcurrency int `mapstructure:"max_concurrency"`
	// Start is when serve launches the plugin: PluginStartAtStart (the
	// default) or PluginStartOnFirstUse.
	Start string `mapstructure:"start"`
}

// Routing says how blocks and conditions find their plugin.
type Routing struct {
	// DefaultPlugin runs blocks that carry no execution hints.
	DefaultPlugin string `mapstructure:"default_plugin"`
	// ConditionsPlugin judges description-only conditions.
	ConditionsPlugin string `mapstructure:"conditions_plugin"`
}

// Engine tunes the scheduler.
type Engine struct {
	// CallTimeout bounds each call to a plugin (ExecuteBlock, ResumeBlock,
	// CancelBlock, EvaluateCondition).
	CallTimeout time.Duration `mapstructure:"call_timeout"`
	// RestartBackoff is the first delay before restarting a crashed plugin;
	// it doubles up to RestartBackoffMax.
	RestartBackoff    time.Duration `mapstructure:"restart_backoff"`
	RestartBackoffMax time.Duration `mapstructure:"restart_backoff_max"`
}

// Control configures the control API that CLI verbs use to reach a running
// daemon.
type Control struct {
	// Socket is the unix socket path. Empty: <data_dir>/control.sock.
	Socket string `mapstructure:"socket"`
	// SocketGroup is an OS group whose members may use the socket (as the
	// person tasks.people maps them to). It needs Socket outside data_dir,
	// which stays 0700. Empty: only the daemon's user and root.
	SocketGroup string `mapstructure:"socket_group"`
	// SocketMode is the socket's file mode: 0600 (the default), or 0660
	// with SocketGroup.
	SocketMode FileMode `mapstructure:"socket_mode"`

	// The network control API (see control_net.go): off unless Address
	// is set.
	ControlNet `mapstructure:",squash"`
}

// FileMode is a permission mode, written in octal: 0660 or "0660".
type FileMode uint32

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Address to serve /metrics on, e.g. 127.0.0.1:9464. Empty disables it.
	Address string `mapstructure:"address"`
}

// Tasks configures people's work (the manual plugin's tasks and decisions):
// who is who, who may act on what, and what happens to overdue tasks.
type Tasks struct {
	// People maps OS users (as the control socket identifies them) to
	// person names and groups. An OS user not listed acts as a person named
	// after the login, in no group.
	People []Person `mapstructure:"people"`
	// Admins are person names that may act on any task, and act on behalf
	// of others with --as.
	Admins []string `mapstructure:"admins"`
	// Escalation says what happens to a task that stays overdue.
	Escalation Escalation `mapstructure:"escalation"`
	// CheckInterval is how often the daemon looks for overdue tasks to
	// escalate.
	CheckInterval time.Duration `mapstructure:"check_interval"`
}

// Person is one OS user's identity in tasks.
type Person struct {
	// OSUser is the login name (or numeric uid) of the OS user.
	OSUser string `mapstructure:"os_user"`
	// Name is the person's name as tasks refer to it (assignee, --as).
	// Empty: the login name.
	Name   string   `mapstructure:"name"`
	Groups []string `mapstructure:"groups"`
}

// Escalation re-assigns overdue tasks to a group.
type Escalation struct {
	// Group receives a task once it has been overdue for After. Empty: no
	// escalation.
	Group string `mapstructure:"group"`
	// After is how long past its due time a task waits before it escalates.
	After time.Duration `mapstructure:"after"`
}

// Inbox configures the web inbox for people's tasks.
type Inbox struct {
	// Address is a loopback host:port to serve the inbox on, e.g.
	// 127.0.0.1:8470 (port 0 picks a free one). Empty disables it.
	Address string `mapstructure:"address"`
}
