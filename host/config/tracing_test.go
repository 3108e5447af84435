package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTracingKeys(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // "" : loads
	}{
		{"off by default", "", ""},
		{"collector", "tracing:\n  otlp_endpoint: localhost:4318\n  insecure: true\n  headers: {x-api-key: k}\n", ""},
		{"scheme", "tracing:\n  otlp_endpoint: http://localhost:4318\n", "tracing.otlp_endpoint: \"http://localhost:4318\": want host:port, without a scheme"},
		{"no port", "tracing:\n  otlp_endpoint: collector\n", "tracing.otlp_endpoint: \"collector\": want host:port"},
		{"empty service", "tracing:\n  otlp_endpoint: localhost:4318\n  service_name: \" \"\n", "tracing.service_name: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(Options{File: file, Environ: []string{}})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if cfg.Tracing.ServiceName != "openoma-host" {
					t.Errorf("service name %q", cfg.Tracing.ServiceName)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	cfg, err := Load(Options{Environ: []string{"OPENOMA_TRACING_OTLP_ENDPOINT=otel:4318"}})
	if err != nil || cfg.Tracing.OTLPEndpoint != "otel:4318" {
		t.Errorf("from the environment: %+v, %v", cfg.Tracing, err)
	}
}
