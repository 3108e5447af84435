package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openoma/openoma/host/config"
)

// ViaAPIToken: a bearer token of the network control API
// (control.tokens).
const ViaAPIToken Via = "api_token"

// ErrExpired: the credential was valid once and no longer is. Errors that
// match it match ErrDenied too, so callers that only ask "may it act?"
// need not know it.
var ErrExpired = errors.New("expired")

// Tokens resolves the network control API's bearer tokens to people. It
// holds each token's SHA-256 only (a token file is read once, when the
// host starts) and is safe for concurrent use.
type Tokens struct {
	people  *Directory
	entries []tokenEntry
}

type tokenEntry struct {
	id      string
	person  string
	digest  [sha256.Size]byte
	expires time.Time
}

// NewTokens reads the tokens of control.tokens; people gives each person
// its groups. A token file that cannot be read, or is empty, is an error
// that names it: a host that started without one of its callers' tokens
// would refuse that caller with a misleading "unknown token".
func NewTokens(cfg []config.ControlToken, people *Directory) (*Tokens, error) {
	t := &Tokens{people: people}
	for i, c := range cfg {
		e := tokenEntry{id: c.Name(), person: strings.TrimSpace(c.Person), expires: c.Expires}
		switch {
		case c.File != "":
			tok, err := ReadTokenFile(c.File)
			if err != nil {
				return nil, fmt.Errorf("control.tokens[%d] (%s): %w", i, e.id, err)
			}
			e.digest = sha256.Sum256([]byte(tok))
		default:
			b, err := hex.DecodeString(c.SHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("control.tokens[%d] (%s): sha256: want 64 hex digits", i, e.id)
			}
			copy(e.digest[:], b)
		}
		t.entries = append(t.entries, e)
	}
	return t, nil
}

// ReadTokenFile reads a token: the file's content without surrounding
// white space (so `openssl rand -hex 32 > file` and an editor's final
// newline both work).
func ReadTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// Len is the number of tokens accepted.
func (t *Tokens) Len() int { return len(t.entries) }

// Resolve returns the caller a token stands for at now. A token nobody
// was given is ErrUnknown; an expired one is ErrExpired, naming the token
// and when it expired (the caller holds the token, so naming its id tells
// it nothing new). Every entry is compared, in constant time, so the
// answer's timing does not tell how much of a guess was right.
func (t *Tokens) Resolve(token string, now time.Time) (Caller, error) {
	digest := sha256.Sum256([]byte(token))
	var found *tokenEntry
	for i := range t.entries {
		if subtle.ConstantTimeCompare(digest[:], t.entries[i].digest[:]) == 1 && found == nil {
			found = &t.entries[i]
		}
	}
	if found == nil {
		return Caller{}, fmt.Errorf("%w: the token is not one of this host's control.tokens", ErrUnknown)
	}
	if !found.expires.IsZero() && !now.Before(found.expires) {
		return Caller{}, fmt.Errorf("%w: token %s (%s) %w at %s; ask the host's owner for a new one",
			ErrDenied, found.id, found.person, ErrExpired, found.expires.UTC().Format(time.RFC3339))
	}
	c := t.people.named(found.person)
	c.Via, c.TokenID = ViaAPIToken, found.id
	return c, nil
}
