package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestControlNetKeys(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		yaml    string
		environ []string
		check   func(t *testing.T, dir string, c Control)
		wantErr string
	}{
		{name: "off by default", check: func(t *testing.T, _ string, c Control) {
			if c.Address != "" || len(c.Tokens) != 0 {
				t.Fatalf("network API on by default: %+v", c.ControlNet)
			}
		}},
		{name: "address, files relative to the config, expiry", yaml: `control:
  address: 127.0.0.1:8471
  tls_cert: tls/host.crt
  tls_key: tls/host.key
  tokens:
    - {person: alice, file: tokens/alice, expires: 2027-01-31}
    - {id: ci, person: bot, sha256: ` + sum + `, expires: "2027-01-31T18:00:00Z"}`,
			check: func(t *testing.T, dir string, c Control) {
				if c.Address != "127.0.0.1:8471" || c.TLSCert != filepath.Join(dir, "tls/host.crt") || c.TLSKey != filepath.Join(dir, "tls/host.key") {
					t.Fatalf("control %+v", c.ControlNet)
				}
				if len(c.Tokens) != 2 || c.Tokens[0].File != filepath.Join(dir, "tokens/alice") || c.Tokens[0].Name() != "alice" || c.Tokens[1].Name() != "ci" {
					t.Fatalf("tokens %+v", c.Tokens)
				}
				if got := c.Tokens[0].Expires; !got.Equal(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)) {
					t.Fatalf("expires %v", got)
				}
				if got := c.Tokens[1].Expires; !got.Equal(time.Date(2027, 1, 31, 18, 0, 0, 0, time.UTC)) {
					t.Fatalf("expires %v", got)
				}
			}},
		{name: "address from the environment", yaml: "control: {tokens: [{person: alice, sha256: " + sum + "}]}",
			environ: []string{"OPENOMA_CONTROL_ADDRESS=0.0.0.0:9000"},
			check: func(t *testing.T, _ string, c Control) {
				if c.Address != "0.0.0.0:9000" {
					t.Fatalf("address %q", c.Address)
				}
			}},
		{name: "address without tokens", yaml: "control: {address: 127.0.0.1:8471}", wantErr: "control.address: needs at least one entry in control.tokens"},
		{name: "address without a port", yaml: "control: {address: localhost, tokens: [{person: a, sha256: " + sum + "}]}", wantErr: `control.address: "localhost" is not host:port`},
		{name: "cert without key", yaml: "control: {tls_cert: a.crt}", wantErr: "control.tls_cert and control.tls_key go together"},
		{name: "token without person", yaml: "control: {tokens: [{sha256: " + sum + "}]}", wantErr: "control.tokens[0].person: names who"},
		{name: "token without a check", yaml: "control: {tokens: [{person: a}]}", wantErr: "control.tokens[0]: needs file"},
		{name: "token with both", yaml: "control: {tokens: [{person: a, file: f, sha256: " + sum + "}]}", wantErr: "has both file and sha256"},
		{name: "bad digest", yaml: "control: {tokens: [{person: a, sha256: abc}]}", wantErr: "control.tokens[0].sha256: want 64 hex digits"},
		{name: "bad expiry", yaml: "control: {tokens: [{person: a, sha256: " + sum + ", expires: soon}]}", wantErr: `"soon" is neither an RFC 3339 time`},
		{name: "two tokens, one id", yaml: "control: {tokens: [{person: a, sha256: " + sum + "}, {person: a, file: f}]}", wantErr: `control.tokens[1].id: "a" is already control.tokens[0]'s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, dir, "openoma.yaml", "data_dir: data\n"+tt.yaml+"\n")
			c, err := Load(Options{File: file, Environ: tt.environ})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, dir, c.Control)
		})
	}
}
