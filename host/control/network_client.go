package control

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/openoma/openoma/host/control/controlpb"
)

// ErrUntrusted: the host at a network address showed a certificate the
// client does not trust — not the pinned fingerprint, not signed by the
// CA it was given.
var ErrUntrusted = errors.New("the host's TLS certificate is not trusted")

// Remote says how to reach a host's network control API.
type Remote struct {
	// Address is the host's control.address, host:port.
	Address string
	// Token is the bearer token sent on every call.
	Token string
	// Fingerprint pins the host's certificate: its SHA-256, as
	// `openoma-host control fingerprint` prints it. It wins over CAFile.
	Fingerprint string
	// CAFile is a PEM file of the CA (or the certificate itself) to trust.
	// With neither: the system's roots.
	CAFile string
}

// tlsConfig is the client's TLS configuration for r.
func (r Remote) tlsConfig() (*tls.Config, error) {
	host, _, err := net.SplitHostPort(r.Address)
	if err != nil {
		return nil, fmt.Errorf("control address %q: want host:port: %w", r.Address, err)
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	switch {
	case r.Fingerprint != "":
		want, err := normalFingerprint(r.Fingerprint)
		if err != nil {
			return nil, err
		}
		// The pin replaces the chain and name checks: it names the one
		// certificate to accept, which is stronger than any CA's word.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: it showed none", ErrUntrusted)
			}
			if got := Fingerprint(cs.PeerCertificates[0].Raw); got != want {
				return fmt.Errorf("%w: %s shows a certificate with SHA-256 fingerprint %s, not the pinned %s (another host, or its certificate was replaced)",
					ErrUntrusted, r.Address, got, want)
			}
			return nil
		}
	case r.CAFile != "":
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", r.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// DialRemote connects to the network control API of the host at
// r.Address. It shakes hands once at once, so that an address nobody
// serves, or a certificate that is not trusted, is a clear error here
// rather than a retried "unavailable" on the first call.
func DialRemote(ctx context.Context, r Remote) (*Client, error) {
	if r.Token == "" {
		return nil, fmt.Errorf("control address %s: %w: a token is needed (--token-file or OPENOMA_TOKEN_FILE)", r.Address, ErrDenied)
	}
	cfg, err := r.tlsConfig()
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, r, cfg); err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(r.Address,
		grpc.WithTransportCredentials(credentials.NewTLS(cfg)),
		grpc.WithPerRPCCredentials(bearer(r.Token)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, fmt.Errorf("control address %s: %w", r.Address, err)
	}
	return &Client{conn: conn, api: controlpb.NewControlClient(conn)}, nil
}

// probe makes one TLS handshake with the host.
func probe(ctx context.Context, r Remote, cfg *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := cfg.Clone()
	c.NextProtos = []string{"h2"} // what gRPC's server insists on
	conn, err := (&tls.Dialer{Config: c}).DialContext(ctx, "tcp", r.Address)
	if err == nil {
		return conn.Close()
	}
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (address %s: connection refused)", ErrNoDaemon, r.Address)
	case errors.Is(err, ErrUntrusted):
		return fmt.Errorf("control address %s: %w", r.Address, err)
	case errors.As(err, &unknown), errors.As(err, &hostname):
		return fmt.Errorf("control address %s: %w: %v; pin it with --tls-fingerprint (the host prints it: openoma-host control fingerprint) or trust its CA with --ca-file",
			r.Address, ErrUntrusted, err)
	}
	return fmt.Errorf("control address %s: %w", r.Address, err)
}

// bearer sends a token on every call, over TLS only.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// PeerFingerprint is the fingerprint of the certificate the host at
// address shows, trusted or not: what a person compares with the one the
// host's owner printed, before pinning it.
func PeerFingerprint(ctx context.Context, address string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12} // only to read the certificate
	conn, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", address)
	if err != nil {
		return "", fmt.Errorf("control address %s: %w", address, err)
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("control address %s: no certificate shown", address)
	}
	return Fingerprint(certs[0].Raw), nil
}
