package inbox

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// TokensFile holds the personal links' tokens, hashed, in the data
// directory (mode 0600).
const TokensFile = "inbox-tokens.json"

// ErrNoToken: no personal link has that id or person.
var ErrNoToken = errors.New("no such inbox link")

// Token is one personal inbox link as stored: never the token itself, only
// its SHA-256.
type Token struct {
	// ID names the link in `inbox tokens` and `inbox revoke`.
	ID      string    `json:"id"`
	Person  string    `json:"person"`
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created_at"`
	Expires time.Time `json:"expires_at"`
	// Revoked is set by `inbox revoke`; a revoked link stays listed.
	Revoked *time.Time `json:"revoked_at,omitempty"`
}

// Valid reports whether the link admits at now.
func (t Token) Valid(now time.Time) bool { return t.Revoked == nil && now.Before(t.Expires) }

// State is how `inbox tokens` shows the link.
func (t Token) State(now time.Time) string {
	switch {
	case t.Revoked != nil:
		return "revoked"
	case !now.Before(t.Expires):
		return "expired"
	}
	return "valid"
}

// Tokens is the token file of a data directory. The CLI writes it (issue,
// revoke) while the daemon reads it; the daemon re-reads it whenever the
// file changed, so a revocation counts at the next request.
type Tokens struct {
	path string

	mu     sync.Mutex
	loaded os.FileInfo
	list   []Token
}

// OpenTokens returns the token file of dataDir (which need not exist yet).
func OpenTokens(dataDir string) *Tokens { return &Tokens{path: filepath.Join(dataDir, TokensFile)} }

// List returns every stored link, oldest first.
func (s *Tokens) List() ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	return slices.Clone(s.list), nil
}

// Lookup finds the link whose token is token (compared by hash, in
// constant time per entry).
func (s *Tokens) Lookup(token string) (Token, bool, error) {
	sum := hashToken(token)
	list, err := s.List()
	if err != nil {
		return Token{}, false, err
	}
	for _, t := range list {
		if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(sum)) == 1 {
			return t, true, nil
		}
	}
	return Token{}, false, nil
}

// ByID finds a link by its id.
func (s *Tokens) ByID(id string) (Token, bool, error) {
	list, err := s.List()
	if err != nil {
		return Token{}, false, err
	}
	for _, t := range list {
		if t.ID == id {
			return t, true, nil
		}
	}
	return Token{}, false, nil
}

// Issue stores a new link for person valid for ttl and returns it with the
// token (shown once: only its hash is kept).
func (s *Tokens) Issue(person string, ttl time.Duration, now time.Time) (Token, string, error) {
	token := randomText(32)
	t := Token{ID: hex.EncodeToString(randomBytes(4)), Person: person, Hash: hashToken(token),
		Created: now.UTC(), Expires: now.Add(ttl).UTC()}
	err := s.update(func(list []Token) ([]Token, error) { return append(list, t), nil })
	return t, token, err
}

// Revoke revokes every valid link of the person named, or the one link
// with that id, and returns what it revoked.
func (s *Tokens) Revoke(nameOrID string, now time.Time) ([]Token, error) {
	nothing := fmt.Errorf("%w: nothing to revoke for %q (see `openoma-host inbox tokens`)", ErrNoToken, nameOrID)
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(list, func(t Token) bool { return (t.ID == nameOrID || t.Person == nameOrID) && t.Revoked == nil }) {
		return nil, nothing
	}
	var revoked []Token
	err = s.update(func(list []Token) ([]Token, error) {
		for i := range list {
			t := &list[i]
			if (t.ID == nameOrID || t.Person == nameOrID) && t.Revoked == nil {
				at := now.UTC()
				t.Revoked = &at
				revoked = append(revoked, *t)
			}
		}
		if len(revoked) == 0 {
			return nil, nothing // revoked by someone else meanwhile
		}
		return list, nil
	})
	return revoked, err
}

// refresh re-reads the file when it changed since the last read.
func (s *Tokens) refresh() error {
	st, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.loaded, s.list = nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbox links %s: %w", s.path, err)
	}
	if s.loaded != nil && os.SameFile(st, s.loaded) && st.ModTime().Equal(s.loaded.ModTime()) && st.Size() == s.loaded.Size() {
		return nil
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("inbox links %s has mode %v: others may read it; chmod 600 it", s.path, st.Mode().Perm())
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("inbox links %s: %w", s.path, err)
	}
	var list []Token
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("inbox links %s: %w", s.path, err)
	}
	s.loaded, s.list = st, list
	return nil
}

// update changes the file under an exclusive lock, so two CLI commands at
// once lose nothing, and replaces it atomically, so the daemon never reads
// half a file.
func (s *Tokens) update(change func([]Token) ([]Token, error)) error {
	lock, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("inbox links: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("inbox links: lock: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = nil // read what is there now
	if err := s.refresh(); err != nil {
		return err
	}
	list, err := change(slices.Clone(s.list))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivate(s.path, string(b)+"\n"); err != nil {
		return err
	}
	s.loaded = nil
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (Go ≥ 1.24 panics instead)
	return b
}

func randomText(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
