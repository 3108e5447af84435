package control

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openoma/openoma/host/config"
)

// The host's own certificate and key, in the data directory, for a
// network control API without control.tls_cert.
const (
	OwnCertFile = "control-tls.crt"
	OwnKeyFile  = "control-tls.key"
)

// ownCertLifetime is how long the host's own certificate is valid. Clients
// pin its fingerprint rather than trust a CA, so there is nothing to gain
// from rotating it often, and a pin that breaks every year would teach
// people to skip the check.
const ownCertLifetime = 10 * 365 * 24 * time.Hour

// ServerCertificate is the certificate the network control API serves:
// control.tls_cert with control.tls_key, or else the host's own
// self-signed one in dataDir, made on first use (for the names of this
// machine and of address) and kept, so that its fingerprint stays what
// clients pinned.
func ServerCertificate(cfg config.ControlNet, dataDir string) (tls.Certificate, error) {
	if cfg.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("control.tls_cert %s, control.tls_key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		return c, nil
	}
	certPath, keyPath := filepath.Join(dataDir, OwnCertFile), filepath.Join(dataDir, OwnKeyFile)
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		return c, nil
	}
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	if !errors.Is(certErr, fs.ErrNotExist) || !errors.Is(keyErr, fs.ErrNotExist) {
		// Never replace a certificate clients may have pinned: a damaged
		// pair is for a person to look at.
		return tls.Certificate{}, fmt.Errorf("the host's own TLS certificate %s (key %s): %w; remove both to make a new one (clients must then pin its new fingerprint)", certPath, keyPath, err)
	}
	if err := writeOwnCertificate(certPath, keyPath, cfg.Address); err != nil {
		return tls.Certificate{}, fmt.Errorf("make the host's own TLS certificate in %s: %w", dataDir, err)
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

// CertificateFingerprint reads the fingerprint of the certificate the
// network control API serves (or will serve), without making one.
func CertificateFingerprint(cfg config.ControlNet, dataDir string) (string, error) {
	path := cfg.TLSCert
	if path == "" {
		path = filepath.Join(dataDir, OwnCertFile)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && cfg.TLSCert == "" {
		return "", fmt.Errorf("no certificate yet at %s: the daemon makes it when it first serves control.address", path)
	}
	if err != nil {
		return "", fmt.Errorf("TLS certificate: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("TLS certificate %s: no PEM CERTIFICATE in it", path)
	}
	return Fingerprint(block.Bytes), nil
}

// Fingerprint is the SHA-256 of a certificate's DER, in lower-case hex:
// what `openssl x509 -noout -fingerprint -sha256` prints, without colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// LeafFingerprint is the fingerprint of c's leaf certificate.
func LeafFingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	return Fingerprint(c.Certificate[0])
}

// normalFingerprint reads a fingerprint as a person may paste it: with or
// without colons, a "sha256:" prefix, in any case.
func normalFingerprint(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "sha256 fingerprint=")
	s = strings.ReplaceAll(s, ":", "")
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("TLS fingerprint %q: want the certificate's SHA-256, 64 hex digits (colons allowed)", s)
	}
	return s, nil
}

// writeOwnCertificate makes a self-signed ECDSA certificate for this
// machine's names, loopback and address's host. The key is written
// first, 0600, and each file is renamed into place only when complete.
func writeOwnCertificate(certPath, keyPath, address string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "openoma-host " + hostname, Organization: []string{"openoma"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(ownCertLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// A CA of itself only, so a client may also trust it as --ca-file.
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if hostname != "" && hostname != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, hostname)
	}
	if h, _, err := net.SplitHostPort(address); err == nil && h != "" {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() && !ip.IsLoopback() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "localhost" && h != hostname {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tls-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
