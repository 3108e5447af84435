package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinaryPrefix is the file name prefix of plugin binaries: the plugin named
// "shell" is the binary openoma-plugin-shell.
const BinaryPrefix = "openoma-plugin-"

// Resolve finds the binary of spec: its configured path, else
// openoma-plugin-<name> in hostDir (beside the host binary), else on PATH.
func Resolve(spec Spec, hostDir string) (string, error) {
	if spec.Path != "" {
		if !strings.ContainsRune(spec.Path, filepath.Separator) {
			p, err := exec.LookPath(spec.Path)
			if err != nil {
				return "", fmt.Errorf("plugin %q: path %q: %w", spec.Name, spec.Path, err)
			}
			return p, nil
		}
		if err := executable(spec.Path); err != nil {
			return "", fmt.Errorf("plugin %q: path: %w", spec.Name, err)
		}
		return spec.Path, nil
	}
	name := BinaryPrefix + spec.Name
	if hostDir != "" {
		beside := filepath.Join(hostDir, name)
		if executable(beside) == nil {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("plugin %q: no path configured and %s is neither beside the host binary (in %s) nor on PATH", spec.Name, name, hostDir)
}

func executable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// FileSHA256 returns the hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyChecksum refuses a binary whose sha256 is not the configured one,
// with an error that says what the binary's sum actually is. The manager
// calls it just before each launch. go-plugin's own SecureConfig cannot be
// used with our Runner (they are exclusive), and neither closes the window
// between hashing the file and exec'ing it: keep plugin binaries in a
// directory only their owner can write.
func VerifyChecksum(spec Spec, path string) error {
	if spec.SHA256 == "" {
		return nil
	}
	got, err := FileSHA256(path)
	if err != nil {
		return fmt.Errorf("plugin %q: checksum: %w", spec.Name, err)
	}
	if !strings.EqualFold(got, spec.SHA256) {
		return fmt.Errorf("plugin %q: %s has sha256 %s but the config requires %s; refusing to run it: %w",
			spec.Name, path, got, strings.ToLower(spec.SHA256), ErrChecksum)
	}
	return nil
}
