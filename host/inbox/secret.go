package inbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Files in the data directory.
const (
	SecretFile = "inbox.secret" // the secret, mode 0600
	URLFile    = "inbox.url"    // the address the daemon serves on, mode 0600
)

// ErrNotServing: no daemon serves the inbox of this data directory.
var ErrNotServing = errors.New("no inbox is being served for this data directory")

// EnsureSecret returns the data directory's inbox secret, creating it
// (32 random bytes, hex) with mode 0600 on first use. A secret file that
// others can read is refused.
func EnsureSecret(dataDir string) (string, error) {
	path := filepath.Join(dataDir, SecretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := checkPrivate(path); err != nil {
			return "", err
		}
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return "", fmt.Errorf("inbox secret %s is too short (%d characters); delete it to make a new one", path, len(s))
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("inbox secret %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("inbox secret: %w", err)
	}
	s := hex.EncodeToString(raw)
	if err := writePrivate(path, s+"\n"); err != nil {
		return "", err
	}
	return s, nil
}

func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("inbox secret %s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("inbox secret %s has mode %v: others may read it; chmod 600 it (or delete it for a new one)", path, st.Mode().Perm())
	}
	return nil
}

// writePrivate writes a file only its owner can read, atomically.
func writePrivate(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".inbox-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// PublishAddress records where the daemon serves the inbox, for
// `openoma-host inbox`.
func PublishAddress(dataDir string, addr net.Addr) error {
	return writePrivate(filepath.Join(dataDir, URLFile), "http://"+addr.String()+"/\n")
}

// Unpublish removes the recorded address (the daemon stops serving).
func Unpublish(dataDir string) { _ = os.Remove(filepath.Join(dataDir, URLFile)) }

// ServedURL returns the address the daemon serves the inbox on.
func ServedURL(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, URLFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w (%s has no %s: is `openoma-host serve` running with inbox.address set?)", ErrNotServing, dataDir, URLFile)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// LoginURL returns the URL that opens the inbox: the recorded address with
// the secret. Only the daemon's owner can read both files.
func LoginURL(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, URLFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w (%s has no %s: is `openoma-host serve` running with inbox.address set?)", ErrNotServing, dataDir, URLFile)
	}
	if err != nil {
		return "", err
	}
	secret, err := os.ReadFile(filepath.Join(dataDir, SecretFile))
	if err != nil {
		return "", fmt.Errorf("inbox secret: %w", err)
	}
	return strings.TrimSpace(string(b)) + "?token=" + strings.TrimSpace(string(secret)), nil
}

// Listen listens on addr, which must be a loopback address.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("inbox.address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("inbox.address %q is not a loopback address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("inbox.address %s: %w", addr, err)
	}
	return l, nil
}
