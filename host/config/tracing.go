package config

import (
	"fmt"
	"net"
	"strings"
)

// Tracing configures OpenTelemetry traces of executions (off unless
// OTLPEndpoint is set).
type Tracing struct {
	// OTLPEndpoint is the host:port of an OTLP/HTTP collector, e.g.
	// localhost:4318. Empty: no traces.
	OTLPEndpoint string `mapstructure:"otlp_endpoint"`
	// Insecure sends plain HTTP (a collector on this machine).
	Insecure bool `mapstructure:"insecure"`
	// Headers go with every export, e.g. an API key.
	Headers map[string]string `mapstructure:"headers"`
	// ServiceName is the service.name of the spans.
	ServiceName string `mapstructure:"service_name"`
}

func (c *Config) validateTracing() []error {
	t := c.Tracing
	if t.OTLPEndpoint == "" {
		return nil
	}
	var errs []error
	if strings.Contains(t.OTLPEndpoint, "://") {
		errs = append(errs, fmt.Errorf("tracing.otlp_endpoint: %q: want host:port, without a scheme (set tracing.insecure for plain HTTP)", t.OTLPEndpoint))
	} else if _, _, err := net.SplitHostPort(t.OTLPEndpoint); err != nil {
		errs = append(errs, fmt.Errorf("tracing.otlp_endpoint: %q: want host:port: %v", t.OTLPEndpoint, err))
	}
	if strings.TrimSpace(t.ServiceName) == "" {
		errs = append(errs, fmt.Errorf("tracing.service_name: must not be empty"))
	}
	return errs
}
