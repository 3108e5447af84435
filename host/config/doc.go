// Package config loads the host's configuration: a YAML file, overridden by
// OPENOMA_* environment variables, overridden by flags (viper). Every key is
// documented in config.example.yaml at the repository root and in
// docs/configuration.md.
//
// Load never returns a half-valid Config: every problem is collected, each
// naming the key and what was expected.
package config
