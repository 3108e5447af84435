package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes the environment variables that override the file:
// OPENOMA_DATA_DIR, OPENOMA_STORE_DURABILITY, OPENOMA_LOG_LEVEL, …
const EnvPrefix = "OPENOMA"

// Defaults returns the configuration used for keys that neither the file,
// the environment nor a flag sets.
func Defaults() Config {
	return Config{
		DataDir:   ".openoma-data",
		LogLevel:  "info",
		LogFormat: "text",
		Store: Store{
			Backend:            BackendBadger,
			Postgres:           defaultPostgres(),
			Durability:         DurabilitySync,
			MemTableSizeMB:     4,
			BlockCacheMB:       8,
			IndexCacheMB:       8,
			ValueLogFileSizeMB: 128, // above sdk.MaxPayloadBytes: a 64 MiB value fits
			GCInterval:         10 * time.Minute,
			MinFreeSpaceMB:     160, // ≥ value_log_file_size_mb + 2 × memtable_size_mb
		},
		Engine: Engine{
			CallTimeout:       30 * time.Second,
			RestartBackoff:    50 * time.Millisecond,
			RestartBackoffMax: 10 * time.Second,
		},
		Control: Control{SocketMode: 0o600},
		Tracing: Tracing{ServiceName: "openoma-host"},
		Tasks:   Tasks{CheckInterval: time.Minute},
	}
}

// Options say where Load finds its inputs.
type Options struct {
	// File is the YAML config file; empty means defaults and environment only.
	File string
	// Flags, when set, override file and environment for the keys they
	// define; flag names are the keys with "." and "_" written as "-"
	// (e.g. --data-dir, --log-level).
	Flags *pflag.FlagSet
	// Environ is the environment to read; nil means os.Environ().
	Environ []string
}

// Load reads the configuration. Relative paths in the file (data_dir,
// definitions, plugin paths) are resolved against the file's directory, so
// a config works from any working directory.
func Load(opts Options) (*Config, error) {
	v := viper.New()
	setDefaults(v, Defaults())
	if opts.File != "" {
		v.SetConfigFile(opts.File)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", opts.File, err)
		}
	}
	fromEnv := bindEnv(v, opts.Environ)
	if opts.Flags != nil {
		bindFlags(v, opts.Flags)
	}
	var cfg Config
	hook := func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
			fileModeHook(),
			expiryHook(),
		)
	}
	// Decode strictly first; if the only trouble is unknown keys, decode
	// leniently too, so the values' own problems are reported in the same
	// run instead of one fix at a time.
	var problems []error
	if err := v.UnmarshalExact(&cfg, hook); err != nil {
		cfg = Config{}
		if lerr := v.Unmarshal(&cfg, hook); lerr != nil {
			return nil, fmt.Errorf("config %s: %s", describeFile(opts.File), cleanDecodeError(err))
		}
		problems = append(problems, errors.New(cleanDecodeError(err)))
	}
	if opts.File != "" {
		cfg.resolvePaths(filepath.Dir(opts.File), func(key string) bool {
			return v.InConfig(key) && !fromEnv[key] && !flagSet(opts.Flags, key)
		})
	}
	if err := cfg.Validate(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("config %s: %w", describeFile(opts.File), errors.Join(problems...))
	}
	return &cfg, nil
}

func describeFile(f string) string {
	if f == "" {
		return "(defaults and environment)"
	}
	return f
}

// setDefaults registers every scalar key, which is also what makes viper
// look the key up in the environment.
func setDefaults(v *viper.Viper, d Config) {
	v.SetDefault("data_dir", d.DataDir)
	v.SetDefault("definitions", d.Definitions)
	v.SetDefault("log_level", d.LogLevel)
	v.SetDefault("log_format", d.LogFormat)
	v.SetDefault("store.backend", d.Store.Backend)
	v.SetDefault("store.postgres.dsn", d.Store.Postgres.DSN)
	v.SetDefault("store.postgres.dsn_file", d.Store.Postgres.DSNFile)
	v.SetDefault("store.postgres.schema", d.Store.Postgres.Schema)
	v.SetDefault("store.postgres.notify", d.Store.Postgres.Notify)
	v.SetDefault("store.postgres.poll_interval", d.Store.Postgres.PollInterval)
	v.SetDefault("store.durability", d.Store.Durability)
	v.SetDefault("store.memtable_size_mb", d.Store.MemTableSizeMB)
	v.SetDefault("store.block_cache_mb", d.Store.BlockCacheMB)
	v.SetDefault("store.index_cache_mb", d.Store.IndexCacheMB)
	v.SetDefault("store.value_log_file_size_mb", d.Store.ValueLogFileSizeMB)
	v.SetDefault("store.gc_interval", d.Store.GCInterval)
	v.SetDefault("store.min_free_space_mb", d.Store.MinFreeSpaceMB)
	v.SetDefault("routing.default_plugin", d.Routing.DefaultPlugin)
	v.SetDefault("routing.conditions_plugin", d.Routing.ConditionsPlugin)
	v.SetDefault("engine.call_timeout", d.Engine.CallTimeout)
	v.SetDefault("engine.restart_backoff", d.Engine.RestartBackoff)
	v.SetDefault("engine.restart_backoff_max", d.Engine.RestartBackoffMax)
	v.SetDefault("control.socket", d.Control.Socket)
	v.SetDefault("control.socket_group", d.Control.SocketGroup)
	v.SetDefault("control.socket_mode", d.Control.SocketMode)
	v.SetDefault("control.address", d.Control.Address)
	v.SetDefault("control.tls_cert", d.Control.TLSCert)
	v.SetDefault("control.tls_key", d.Control.TLSKey)
	v.SetDefault("metrics.address", d.Metrics.Address)
	v.SetDefault("tracing.otlp_endpoint", d.Tracing.OTLPEndpoint)
	v.SetDefault("tracing.insecure", d.Tracing.Insecure)
	v.SetDefault("tracing.service_name", d.Tracing.ServiceName)
	v.SetDefault("tasks.check_interval", d.Tasks.CheckInterval)
	v.SetDefault("tasks.escalation.group", d.Tasks.Escalation.Group)
	v.SetDefault("tasks.escalation.after", d.Tasks.Escalation.After)
	v.SetDefault("inbox.address", d.Inbox.Address)
}

// bindEnv maps OPENOMA_STORE_DURABILITY to store.durability, etc. It reads
// the given environment rather than the process's, so tests need no
// global state. It returns the keys it set.
func bindEnv(v *viper.Viper, environ []string) map[string]bool {
	set := map[string]bool{}
	if environ == nil {
		environ = os.Environ()
	}
	keys := v.AllKeys()
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix+"_") {
			continue
		}
		for _, key := range keys {
			if envName(key) == name {
				v.Set(key, value)
				set[key] = true
			}
		}
	}
	return set
}

func flagSet(fs *pflag.FlagSet, key string) bool {
	if fs == nil {
		return false
	}
	f := fs.Lookup(flagName(key))
	return f != nil && f.Changed
}

func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func flagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

func bindFlags(v *viper.Viper, fs *pflag.FlagSet) {
	for _, key := range v.AllKeys() {
		f := fs.Lookup(flagName(key))
		if f == nil || !f.Changed {
			continue
		}
		// Set, not BindPFlag: the environment is applied with Set too,
		// and viper ranks Set above bound flags.
		v.Set(key, f.Value.String())
	}
}

// resolvePaths makes paths written in the file relative to the file.
// Paths that came from the environment or flags stay relative to the
// working directory, as a person typing them expects.
func (c *Config) resolvePaths(base string, inFile func(key string) bool) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	if inFile("data_dir") {
		c.DataDir = abs(c.DataDir)
	}
	if inFile("definitions") {
		for i, d := range c.Definitions {
			c.Definitions[i] = abs(d)
		}
	}
	for i := range c.Plugins {
		if p := c.Plugins[i].Path; p != "" && strings.ContainsRune(p, filepath.Separator) {
			c.Plugins[i].Path = abs(p)
		}
	}
	if inFile("control.socket") {
		c.Control.Socket = abs(c.Control.Socket)
	}
	c.Control.resolvePaths(abs, inFile)
	if inFile("store.postgres.dsn_file") {
		c.Store.Postgres.DSNFile = abs(c.Store.Postgres.DSNFile)
	}
}

var invalidKeys = regexp.MustCompile(`'([^']*)' has invalid keys: ([^\n]*)`)

// cleanDecodeError turns mapstructure's wording into one that names each
// key by its full dotted path.
func cleanDecodeError(err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, "decoding failed due to the following error(s):\n\n", "")
	return invalidKeys.ReplaceAllStringFunc(msg, func(m string) string {
		sub := invalidKeys.FindStringSubmatch(m)
		var keys []string
		for _, k := range strings.Split(sub[2], ", ") {
			if sub[1] != "" {
				k = sub[1] + "." + k
			}
			keys = append(keys, k)
		}
		return "unknown key(s): " + strings.Join(keys, ", ")
	})
}

// Validate checks values a type cannot express; it names each key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if !slices.Contains([]string{DurabilitySync, DurabilityAsync}, c.Store.Durability) {
		bad("store.durability", "%q is not one of sync, async", c.Store.Durability)
	}
	if !slices.Contains([]string{"trace", "debug", "info", "warn", "error", "off"}, strings.ToLower(c.LogLevel)) {
		bad("log_level", "%q is not one of trace, debug, info, warn, error, off", c.LogLevel)
	}
	if !slices.Contains([]string{"text", "json"}, c.LogFormat) {
		bad("log_format", "%q is not one of text, json", c.LogFormat)
	}
	for _, kv := range []struct {
		key string
		val int
	}{
		{"store.memtable_size_mb", c.Store.MemTableSizeMB},
		{"store.block_cache_mb", c.Store.BlockCacheMB},
		{"store.index_cache_mb", c.Store.IndexCacheMB},
		{"store.value_log_file_size_mb", c.Store.ValueLogFileSizeMB},
	} {
		if kv.val < 1 {
			bad(kv.key, "must be at least 1 (MiB), got %d", kv.val)
		}
	}
	if c.Store.GCInterval < 0 {
		bad("store.gc_interval", "must not be negative")
	}
	if c.Store.MinFreeSpaceMB < 0 {
		bad("store.min_free_space_mb", "must not be negative (0 disables the check)")
	}
	errs = append(errs, c.validateStoreBackend()...)
	if c.Engine.CallTimeout <= 0 {
		bad("engine.call_timeout", "must be positive, got %s", c.Engine.CallTimeout)
	}
	if c.Engine.RestartBackoff <= 0 || c.Engine.RestartBackoffMax < c.Engine.RestartBackoff {
		bad("engine.restart_backoff", "must be positive and not above engine.restart_backoff_max")
	}
	names := map[string]bool{}
	for i, p := range c.Plugins {
		key := fmt.Sprintf("plugins[%d]", i)
		switch {
		case p.Name == "":
			bad(key+".name", "must not be empty")
		case names[p.Name]:
			bad(key+".name", "plugin %q is configured twice", p.Name)
		}
		names[p.Name] = true
		if p.SHA256 != "" && !isHex(p.SHA256, 64) {
			bad(key+".sha256", "must be 64 hexadecimal characters, got %q", p.SHA256)
		}
		if p.MaxConcurrency < 0 {
			bad(key+".max_concurrency", "must not be negative")
		}
		if !validPluginStart(p.Start) {
			bad(key+".start", "must be %s or %s, got %q", PluginStartAtStart, PluginStartOnFirstUse, p.Start)
		}
		if len(p.Hints) == 0 && p.Name != c.Routing.DefaultPlugin && p.Name != c.Routing.ConditionsPlugin {
			bad(key+".hints", "plugin %q serves no hints and is neither routing.default_plugin nor routing.conditions_plugin, so nothing can reach it", p.Name)
		}
	}
	for _, kv := range [][2]string{
		{"routing.default_plugin", c.Routing.DefaultPlugin},
		{"routing.conditions_plugin", c.Routing.ConditionsPlugin},
	} {
		if kv[1] != "" && !names[kv[1]] {
			bad(kv[0], "names plugin %q, which is not in plugins (have: %s)", kv[1], strings.Join(sortedKeys(names), ", "))
		}
	}
	errs = append(errs, c.validateTasks()...)
	errs = append(errs, c.validateControl()...)
	errs = append(errs, c.validateTracing()...)
	return errors.Join(errs...)
}

// validateTasks checks the tasks and inbox keys.
func (c *Config) validateTasks() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	users := map[string]bool{}
	for i, p := range c.Tasks.People {
		key := fmt.Sprintf("tasks.people[%d]", i)
		switch {
		case strings.TrimSpace(p.OSUser) == "":
			bad(key+".os_user", "must name an OS user")
		case users[p.OSUser]:
			bad(key+".os_user", "OS user %q is listed twice", p.OSUser)
		}
		users[p.OSUser] = true
		for j, g := range p.Groups {
			if strings.TrimSpace(g) == "" {
				bad(fmt.Sprintf("%s.groups[%d]", key, j), "must not be empty")
			}
		}
	}
	for i, a := range c.Tasks.Admins {
		if strings.TrimSpace(a) == "" {
			bad(fmt.Sprintf("tasks.admins[%d]", i), "must not be empty")
		}
	}
	if c.Tasks.CheckInterval <= 0 {
		bad("tasks.check_interval", "must be positive, got %s", c.Tasks.CheckInterval)
	}
	if c.Tasks.Escalation.After < 0 {
		bad("tasks.escalation.after", "must not be negative")
	}
	if c.Inbox.Address != "" {
		if err := checkLoopback(c.Inbox.Address); err != nil {
			bad("inbox.address", "%v", err)
		}
	}
	return errs
}

// checkLoopback accepts host:port on a loopback address only: the inbox
// has no TLS and must not be reachable from other machines.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (use 127.0.0.1 or [::1]): the inbox is for this machine only", addr)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range strings.ToLower(s) {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
