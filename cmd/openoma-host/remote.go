package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/identity"
)

// remoteFlags say how to reach a host's network control API instead of
// the local daemon's socket. Each flag falls back to its environment
// variable, so a shell can point every verb at one host.
type remoteFlags struct {
	address, tokenFile, caFile, fingerprint string
	flags                                   *pflag.FlagSet
	tokenFileUsed                           string // the file remote read the token from
}

func (r *remoteFlags) register(pf *pflag.FlagSet) {
	r.flags = pf
	pf.StringVar(&r.address, "address", "", "reach the host at host:port over its network control API (control.address); default: $OPENOMA_ADDRESS, else the local daemon's socket")
	pf.StringVar(&r.tokenFile, "token-file", "", "file holding your bearer token for --address; default: $OPENOMA_TOKEN_FILE")
	pf.StringVar(&r.caFile, "ca-file", "", "PEM file of the CA (or the certificate) to trust for --address; default: $OPENOMA_CA_FILE, else the system's")
	pf.StringVar(&r.fingerprint, "tls-fingerprint", "", "pin the host's certificate by its SHA-256 (openoma-host control fingerprint prints it); default: $OPENOMA_TLS_FINGERPRINT")
}

// value is a flag's value, or its environment variable's.
func (r *remoteFlags) value(flag, env string, v string) string {
	if r.flags != nil && r.flags.Changed(flag) {
		return v
	}
	return os.Getenv(env)
}

func (r *remoteFlags) remote() (control.Remote, bool, error) {
	addr := r.value("address", "OPENOMA_ADDRESS", r.address)
	if addr == "" {
		return control.Remote{}, false, nil
	}
	rem := control.Remote{
		Address:     addr,
		CAFile:      r.value("ca-file", "OPENOMA_CA_FILE", r.caFile),
		Fingerprint: r.value("tls-fingerprint", "OPENOMA_TLS_FINGERPRINT", r.fingerprint),
	}
	tokenFile := r.value("token-file", "OPENOMA_TOKEN_FILE", r.tokenFile)
	if tokenFile == "" {
		return rem, true, fmt.Errorf("--address %s needs --token-file (or OPENOMA_TOKEN_FILE): the network control API refuses calls without a token", addr)
	}
	tok, err := identity.ReadTokenFile(tokenFile)
	if err != nil {
		return rem, true, fmt.Errorf("--token-file: %w", err)
	}
	rem.Token = tok
	r.tokenFileUsed = tokenFile
	return rem, true, nil
}

// looseTokenFile says, when the token file can be read by others than its
// owner, what to do about it: the token is a password.
func looseTokenFile(path string) string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("openoma-host: warning: token file %s is readable by others (mode %#o); chmod 600 it\n", path, st.Mode().Perm())
}

// remoteSession connects to the host named by --address (or
// $OPENOMA_ADDRESS); ok is false when none is named, and the verb uses the
// local daemon. A remote host is never embedded: if nothing answers there,
// that is the error.
func (g *globals) remoteSession(ctx context.Context) (s *session, ok bool, err error) {
	rem, ok, err := g.remote.remote()
	if !ok || err != nil {
		return nil, ok, err
	}
	if warn := looseTokenFile(g.remote.tokenFileUsed); warn != "" {
		fmt.Fprint(g.stderr, warn)
	}
	c, err := control.DialRemote(ctx, rem)
	if err != nil {
		return nil, true, err
	}
	return &session{Client: c}, true, nil
}

// target names the host a verb reached, for its messages: the
// --address, else the data directory.
func (g *globals) target(cfg *config.Config) string {
	if addr := g.remote.value("address", "OPENOMA_ADDRESS", g.remote.address); addr != "" {
		return "the host at " + addr
	}
	return cfg.DataDir
}

// serveNetwork starts the network control API of a daemon when
// control.address is set: it listens, logs the address and the
// certificate's fingerprint (for clients to pin), and serves srv until ctx
// ends. A failure to start stops serve; a failure later is logged.
func serveNetwork(ctx context.Context, cfg *config.Config, h *host.Host, srv *control.Server, log hclog.Logger, background *sync.WaitGroup) error {
	if cfg.Control.Address == "" {
		return nil
	}
	cert, err := control.ServerCertificate(cfg.Control.ControlNet, cfg.DataDir)
	if err != nil {
		return err
	}
	tokens, err := identity.NewTokens(cfg.Control.Tokens, h.Tasks().People())
	if err != nil {
		return err
	}
	for _, t := range cfg.Control.Tokens {
		if !t.Expires.IsZero() && !time.Now().Before(t.Expires) {
			log.Warn("control.tokens: a token has expired and is refused", "id", t.Name(), "person", t.Person, "expired", t.Expires)
		}
	}
	l, err := net.Listen("tcp", cfg.Control.Address)
	if err != nil {
		return fmt.Errorf("control.address %s: %w", cfg.Control.Address, err)
	}
	own := "own"
	if cfg.Control.TLSCert != "" {
		own = cfg.Control.TLSCert
	}
	log.Info("network control API", "address", l.Addr().String(), "certificate", own,
		"tls_fingerprint", control.LeafFingerprint(cert), "tokens", tokens.Len())
	background.Go(func() {
		if err := srv.ServeNetwork(ctx, l, control.Network{Certificate: cert, Tokens: tokens}); err != nil {
			log.Error("network control API stopped", "error", err)
		}
	})
	return nil
}

func newControlCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "control",
		Short: "The network control API: the certificate's fingerprint to pin",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "fingerprint",
		Short: "Print the SHA-256 fingerprint of the network control API's TLS certificate",
		Long: `fingerprint prints the SHA-256 of the certificate the daemon serves on
control.address (control.tls_cert, or the host's own in the data directory),
for clients to pin with --tls-fingerprint.

With --address it prints the fingerprint of the certificate the host at that
address shows, unchecked: compare it with the one its owner printed before
you pin it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var fp, source string
			if addr := g.remote.value("address", "OPENOMA_ADDRESS", g.remote.address); addr != "" {
				var err error
				if fp, err = control.PeerFingerprint(cmd.Context(), addr); err != nil {
					return err
				}
				source = addr
			} else {
				cfg, err := g.loadConfig()
				if err != nil {
					return err
				}
				if fp, err = control.CertificateFingerprint(cfg.Control.ControlNet, cfg.DataDir); err != nil {
					return err
				}
				source = cfg.Control.TLSCert
				if source == "" {
					source = filepath.Join(cfg.DataDir, control.OwnCertFile)
				}
			}
			if g.json {
				return g.printJSON(map[string]string{"sha256": fp, "from": source})
			}
			_, err := fmt.Fprintln(g.stdout, fp)
			return err
		},
	})
	return cmd
}
