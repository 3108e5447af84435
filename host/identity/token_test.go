package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/host/config"
)

func TestTokensResolve(t *testing.T) {
	dir := t.TempDir()
	aliceFile := filepath.Join(dir, "alice")
	if err := os.WriteFile(aliceFile, []byte("  s3cret-alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	botSum := sha256.Sum256([]byte("s3cret-bot"))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	toks, err := NewTokens([]config.ControlToken{
		{Person: "Alice", File: aliceFile},
		{ID: "ci", Person: "bot", SHA256: hex.EncodeToString(botSum[:]), Expires: now.Add(time.Hour)},
		{ID: "old", Person: "carol", SHA256: hex.EncodeToString(sha256.New().Sum(nil)), Expires: now.Add(-time.Hour)},
	}, testDirectory())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		person  string
		id      string
		groups  string
		admin   bool
		wantErr error
		errText string
	}{
		{name: "a token file's token, trimmed: a listed person's groups", token: "s3cret-alice", person: "Alice", id: "Alice", groups: "reviewers"},
		{name: "a digest's token: an unlisted person, no group", token: "s3cret-bot", person: "bot", id: "ci"},
		{name: "unknown", token: "s3cret-mallory", wantErr: ErrUnknown, errText: "not one of this host's control.tokens"},
		{name: "a prefix of a token", token: "s3cret", wantErr: ErrUnknown},
		{name: "expired (the empty token's digest)", token: "", wantErr: ErrExpired, errText: "permission denied: token old (carol) expired at 2026-12-01T11:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := toks.Resolve(tt.token, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want %v with %q", err, tt.wantErr, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Person != tt.person || c.TokenID != tt.id || c.Via != ViaAPIToken || strings.Join(c.Groups, ",") != tt.groups || c.Admin != tt.admin {
				t.Fatalf("caller %+v", c)
			}
			if ex := c.Executor(); ex.Identifier != tt.person || ex.Metadata["token_id"] != tt.id || ex.Metadata["via"] != "api_token" {
				t.Fatalf("executor %+v", ex)
			}
		})
	}
	// The token of the one that expires in an hour is refused after it.
	if _, err := toks.Resolve("s3cret-bot", now.Add(time.Hour)); !errors.Is(err, ErrExpired) || !errors.Is(err, ErrDenied) {
		t.Fatalf("at its expiry: %v", err)
	}
}

func TestTokensAdminActsAs(t *testing.T) {
	sum := sha256.Sum256([]byte("t"))
	toks, err := NewTokens([]config.ControlToken{{Person: "carol", SHA256: hex.EncodeToString(sum[:])}}, testDirectory())
	if err != nil {
		t.Fatal(err)
	}
	c, err := toks.Resolve("t", time.Now())
	if err != nil || !c.Admin {
		t.Fatalf("carol by token: %+v, %v", c, err)
	}
	as, err := testDirectory().ActAs(c, "dave")
	if err != nil || as.Person != "dave" || as.By != "carol" || as.TokenID != "carol" {
		t.Fatalf("act as dave: %+v, %v", as, err)
	}
	mallory := Caller{Person: "bot", Via: ViaAPIToken, TokenID: "ci"}
	if _, err := testDirectory().ActAs(mallory, "dave"); err == nil || !strings.Contains(err.Error(), "API token ci is") {
		t.Fatalf("non-admin by token: %v", err)
	}
}

func TestNewTokensFileProblems(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{filepath.Join(dir, "missing"), "control.tokens[0] (a): token file: open"},
		{empty, "is empty"},
	} {
		if _, err := NewTokens([]config.ControlToken{{Person: "a", File: tt.file}}, testDirectory()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("%s: err = %v, want %q", tt.file, err, tt.want)
		}
	}
}
