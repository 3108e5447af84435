package llmstub

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/openoma/openoma/sdk"
)

// Environment variables the plugin reads; flags of the same meaning win.
const (
	EnvFixtures         = "OPENOMA_LLM_STUB_FIXTURES"
	EnvLatency          = "OPENOMA_LLM_STUB_LATENCY"
	EnvTokens           = "OPENOMA_LLM_STUB_TOKENS"
	EnvDefaultCondition = "OPENOMA_LLM_STUB_DEFAULT_CONDITION"
)

// MetadataKey is the block and node metadata key of per-block settings:
// llm_stub: {latency: 2s, tokens: 5}.
const MetadataKey = "llm_stub"

// Config is the plugin's configuration: the fixtures, and settings that
// override the fixtures file's own defaults (nil: not set).
type Config struct {
	Fixtures         *Fixtures
	Latency          *time.Duration
	Tokens           *int
	DefaultCondition *bool
}

// LoadConfig reads the configuration from the plugin's arguments (the host
// config's `args`) and environment:
//
//	--fixtures path          (or $OPENOMA_LLM_STUB_FIXTURES)
//	--latency 250ms          (or $OPENOMA_LLM_STUB_LATENCY)
//	--tokens 3               (or $OPENOMA_LLM_STUB_TOKENS)
//	--default-condition bool (or $OPENOMA_LLM_STUB_DEFAULT_CONDITION)
//
// A flag wins over its variable; both win over the fixtures file's
// top-level settings. Errors name the flag or variable, or the fixtures
// file and entry.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("openoma-plugin-llm-stub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fixtures := fs.String("fixtures", getenv(EnvFixtures), "fixtures file (YAML or JSON)")
	latency := fs.String("latency", getenv(EnvLatency), "simulated latency per block")
	tokens := fs.String("tokens", getenv(EnvTokens), "progress events per block")
	defaultCondition := fs.String("default-condition", getenv(EnvDefaultCondition), "decision when no condition rule matches")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("arguments: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("arguments: unexpected %q", strings.Join(fs.Args(), " "))
	}
	var cfg Config
	var errs []error
	if *fixtures != "" {
		f, err := LoadFixtures(*fixtures)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Fixtures = f
	}
	if *latency != "" {
		d, err := time.ParseDuration(*latency)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("--latency / $%s: %q is not a duration ≥ 0 (e.g. \"250ms\")", EnvLatency, *latency))
		}
		cfg.Latency = &d
	}
	if *tokens != "" {
		n, err := strconv.Atoi(*tokens)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("--tokens / $%s: %q is not a whole number ≥ 0", EnvTokens, *tokens))
		}
		cfg.Tokens = &n
	}
	if *defaultCondition != "" {
		b, err := strconv.ParseBool(*defaultCondition)
		if err != nil {
			errs = append(errs, fmt.Errorf("--default-condition / $%s: %q is not true or false", EnvDefaultCondition, *defaultCondition))
		}
		cfg.DefaultCondition = &b
	}
	return cfg, errors.Join(errs...)
}

// blockSettings are a block's llm_stub metadata.
type blockSettings struct {
	latency *time.Duration
	tokens  *int
}

// overrides reads the llm_stub metadata of the request's node, else its
// block. Malformed settings are ignored here; checkSettings reports them.
func overrides(req Request) (blockSettings, bool) {
	s, err := parseSettings(req)
	return s, err == nil
}

func parseSettings(req Request) (blockSettings, error) {
	var out blockSettings
	setting, ok := sdk.LookupSetting(req.Block, req.Node, MetadataKey)
	if !ok {
		return out, nil
	}
	m, ok := setting.Value.(map[string]any)
	if !ok {
		return out, fmt.Errorf("%s metadata.%s: want a mapping such as {latency: 2s, tokens: 5}", setting.From, MetadataKey)
	}
	for k, v := range m {
		field := fmt.Sprintf("%s metadata.%s.%s", setting.From, MetadataKey, k)
		switch k {
		case "latency":
			s, _ := v.(string)
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return out, fmt.Errorf("%s: %v is not a duration ≥ 0 (e.g. \"250ms\")", field, v)
			}
			out.latency = &d
		case "tokens":
			n, ok := v.(int)
			if f, isFloat := v.(float64); isFloat && f == float64(int(f)) {
				n, ok = int(f), true
			}
			if !ok || n < 0 {
				return out, fmt.Errorf("%s: %v is not a whole number ≥ 0", field, v)
			}
			out.tokens = &n
		default:
			return out, fmt.Errorf("%s: unknown setting (known: latency, tokens)", field)
		}
	}
	return out, nil
}
