package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// ControlNet configures the network control API: the same service as the
// control socket, on TCP with TLS, where every call carries a bearer
// token that Tokens maps to a person. It is off unless Address is set.
type ControlNet struct {
	// Address is host:port to listen on, e.g. 0.0.0.0:8471 or
	// 127.0.0.1:0. Empty: no network control API.
	Address string `mapstructure:"address"`
	// TLSCert and TLSKey are PEM files of the certificate (chain) and key
	// to serve. Both empty: the host's own self-signed certificate, made
	// once and kept in data_dir; clients pin its SHA-256 fingerprint.
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// Tokens are the bearer tokens the network API accepts, each for one
	// person.
	Tokens []ControlToken `mapstructure:"tokens"`
}

// ControlToken is one caller's bearer token. The token itself is never in
// the config: File holds it (the same file the caller passes with
// --token-file), or SHA256 is its digest.
type ControlToken struct {
	// ID names the token in logs and on the events its caller causes
	// (never the token). Empty: the person's name.
	ID string `mapstructure:"id"`
	// Person is who the caller is: a name in tasks.people gives its
	// groups; any other name is a person in no group.
	Person string `mapstructure:"person"`
	// File is a file whose content (surrounding white space trimmed) is
	// the token; it is read when the host starts.
	File string `mapstructure:"file"`
	// SHA256 is the hex SHA-256 of the token, instead of File.
	SHA256 string `mapstructure:"sha256"`
	// Expires is when the token stops being accepted: an RFC 3339 time
	// or a date (2027-01-31, the start of that day in UTC). Zero: never.
	Expires time.Time `mapstructure:"expires"`
}

// Name is the token's id: ID, else the person.
func (t ControlToken) Name() string {
	if t.ID != "" {
		return t.ID
	}
	return t.Person
}

// expiryHook decodes a time from the text of the environment or a quoted
// YAML value (an unquoted YAML date or time arrives as a time already).
func expiryHook() mapstructure.DecodeHookFuncType {
	return func(from, to reflect.Type, data any) (any, error) {
		if to != reflect.TypeFor[time.Time]() || from.Kind() != reflect.String {
			return data, nil
		}
		s := strings.TrimSpace(data.(string))
		if s == "" {
			return time.Time{}, nil
		}
		if at, err := time.Parse(time.RFC3339, s); err == nil {
			return at, nil
		}
		if at, err := time.Parse(time.DateOnly, s); err == nil {
			return at, nil
		}
		return nil, fmt.Errorf("%q is neither an RFC 3339 time (2027-01-31T18:00:00Z) nor a date (2027-01-31)", s)
	}
}

// resolvePaths makes the certificate, key and token files written in the
// config file relative to it.
func (c *Control) resolvePaths(abs func(string) string, inFile func(key string) bool) {
	if inFile("control.tls_cert") {
		c.TLSCert = abs(c.TLSCert)
	}
	if inFile("control.tls_key") {
		c.TLSKey = abs(c.TLSKey)
	}
	if inFile("control.tokens") {
		for i := range c.Tokens {
			c.Tokens[i].File = abs(c.Tokens[i].File)
		}
	}
}

// validateControlNet checks the network keys: an address to listen on,
// a certificate with its key, and tokens that each name a person and a
// way to check the token — without any, nobody could call, so an address
// without tokens is refused rather than served shut.
func (c *Config) validateControlNet() []error {
	n := c.Control.ControlNet
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if n.Address != "" {
		if _, port, err := net.SplitHostPort(n.Address); err != nil || port == "" {
			bad("control.address", "%q is not host:port (e.g. 0.0.0.0:8471)", n.Address)
		}
		if len(n.Tokens) == 0 {
			bad("control.address", "needs at least one entry in control.tokens: every call over the network must carry a token")
		}
	}
	if (n.TLSCert == "") != (n.TLSKey == "") {
		bad("control.tls_cert", "control.tls_cert and control.tls_key go together: set both, or neither for the host's own certificate")
	}
	ids := map[string]int{}
	for i, t := range n.Tokens {
		key := fmt.Sprintf("control.tokens[%d]", i)
		if strings.TrimSpace(t.Person) == "" {
			bad(key+".person", "names who the token's caller is; it is missing")
		}
		switch {
		case t.File == "" && t.SHA256 == "":
			bad(key, "needs file (a file holding the token) or sha256 (the token's hex SHA-256)")
		case t.File != "" && t.SHA256 != "":
			bad(key, "has both file and sha256; keep one")
		case t.SHA256 != "":
			if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != 32 {
				bad(key+".sha256", "want 64 hex digits (sha256sum of the token)")
			}
		}
		if j, dup := ids[t.Name()]; dup && t.Name() != "" {
			bad(key+".id", "%q is already control.tokens[%d]'s; give each token its own id", t.Name(), j)
		}
		ids[t.Name()] = i
	}
	return errs
}
