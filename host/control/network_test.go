package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/identity"
)

// netHost is a fake backend served on the network API of a loopback port.
type netHost struct {
	addr, fingerprint, certFile string
	backend                     *fakeBackend
	log                         *syncWriter
}

const aliceToken = "alice-0123456789abcdef"

func serveNet(t testing.TB, n Network) netHost {
	t.Helper()
	dir := t.TempDir()
	digest := func(s string) string { d := sha256.Sum256([]byte(s)); return hex.EncodeToString(d[:]) }
	tokFile := filepath.Join(dir, "alice.token")
	if err := os.WriteFile(tokFile, []byte(aliceToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	people := identity.NewDirectory(config.Tasks{People: []config.Person{{OSUser: "alice", Name: "alice", Groups: []string{"ops"}}}})
	toks, err := identity.NewTokens([]config.ControlToken{
		{Person: "alice", File: tokFile},
		{ID: "old-bob", Person: "bob", SHA256: digest("bob-token"), Expires: time.Now().Add(-time.Minute)},
	}, people)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.ControlNet{Address: "127.0.0.1:0"}
	cert, err := ServerCertificate(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Made once and kept: a second start serves the same certificate.
	again, err := ServerCertificate(cfg, dir)
	if err != nil || LeafFingerprint(again) != LeafFingerprint(cert) {
		t.Fatalf("the own certificate changed between starts: %v", err)
	}
	n.Certificate, n.Tokens = cert, toks
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := &syncWriter{}
	b := newFake()
	srv := NewServer(b, ServerOptions{Logger: hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Warn})})
	srv.PollInterval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeNetwork(ctx, l, n) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeNetwork: %v", err)
		}
	})
	fp, err := CertificateFingerprint(cfg, dir)
	if err != nil || fp != LeafFingerprint(cert) {
		t.Fatalf("CertificateFingerprint = %s, %v; serving %s", fp, err, LeafFingerprint(cert))
	}
	return netHost{addr: l.Addr().String(), fingerprint: fp, certFile: filepath.Join(dir, OwnCertFile), backend: b, log: log}
}

// A token's caller acts: the backend sees the person of the token, not
// an OS user.
func TestNetworkTokenCallerActs(t *testing.T) {
	h := serveNet(t, Network{})
	ctx := context.Background()
	c, err := DialRemote(ctx, Remote{Address: h.addr, Token: aliceToken, Fingerprint: h.fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last, err := c.Run(ctx, "flow", nil, true, nil)
	if err != nil || !last.Final {
		t.Fatalf("run: %+v, %v", last, err)
	}
	if err := c.Cancel(ctx, last.ExecutionID, "stop"); err != nil {
		t.Fatal(err)
	}
	h.backend.mu.Lock()
	by := h.backend.cancelled[uuid.MustParse(last.ExecutionID)]
	h.backend.mu.Unlock()
	if by.Person != "alice" || by.Via != identity.ViaAPIToken || by.TokenID != "alice" || strings.Join(by.Groups, ",") != "ops" || by.UID != 0 {
		t.Fatalf("caller %+v", by)
	}
	n := 0
	if err := c.Events(ctx, last.ExecutionID, 0, false, func(execution.Event) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("events: %d, %v", n, err)
	}
}

func TestNetworkRefusals(t *testing.T) {
	h := serveNet(t, Network{})
	ctx := context.Background()
	tests := []struct {
		name   string
		remote Remote
		want   error
		text   string
	}{
		{"wrong token", Remote{Token: "guess"}, ErrDenied, "the token is not one of this host's control.tokens"},
		{"a token's prefix", Remote{Token: aliceToken[:10]}, ErrDenied, "not one of this host's control.tokens"},
		{"expired token", Remote{Token: "bob-token"}, ErrDenied, "token old-bob (bob) expired at"},
		{"no token", Remote{}, ErrDenied, "a token is needed (--token-file"},
		{"pinned fingerprint mismatch", Remote{Token: aliceToken, Fingerprint: strings.Repeat("0", 64)}, ErrUntrusted, "not the pinned " + strings.Repeat("0", 64)},
		{"a fingerprint that is not one", Remote{Token: aliceToken, Fingerprint: "abc"}, nil, "want the certificate's SHA-256"},
		{"neither pin nor CA: the system does not know it", Remote{Token: aliceToken, Fingerprint: ""}, ErrUntrusted, "pin it with --tls-fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.remote
			r.Address = h.addr
			if r.Fingerprint == "" && tt.want != ErrUntrusted {
				r.Fingerprint = h.fingerprint
			}
			c, err := DialRemote(ctx, r)
			if err == nil {
				defer c.Close()
				_, err = c.Status(ctx, "")
			}
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v with %q", err, tt.want, tt.text)
			}
		})
	}
	if !strings.Contains(h.log.String(), "refused a network control-API call") || strings.Contains(h.log.String(), "guess") {
		t.Fatalf("refusals are logged, never the token:\n%s", h.log)
	}
}

// The host's own certificate can also be trusted as a CA file, by the
// loopback address it is made for; pinned fingerprints may be pasted
// as openssl prints them.
func TestNetworkCAFileAndFingerprintForms(t *testing.T) {
	h := serveNet(t, Network{})
	ctx := context.Background()
	colons := strings.ToUpper(h.fingerprint[:2])
	for i := 2; i < len(h.fingerprint); i += 2 {
		colons += ":" + strings.ToUpper(h.fingerprint[i:i+2])
	}
	for _, r := range []Remote{
		{CAFile: h.certFile},
		{Fingerprint: "sha256 Fingerprint=" + colons},
	} {
		r.Address, r.Token = h.addr, aliceToken
		c, err := DialRemote(ctx, r)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if _, err := c.Recent(ctx, RecentFilter{}); err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		c.Close()
	}
	if fp, err := PeerFingerprint(ctx, h.addr); err != nil || fp != h.fingerprint {
		t.Fatalf("PeerFingerprint = %s, %v", fp, err)
	}
}

// Every call is checked, not only the connection's first: on one
// connection, a call with the token is served and the next without it
// is refused.
func TestNetworkChecksEveryCall(t *testing.T) {
	h := serveNet(t, Network{})
	cfg, err := Remote{Address: h.addr, Fingerprint: h.fingerprint}.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := controlpb.NewControlClient(conn)
	ctx := context.Background()
	withToken := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+aliceToken)
	if _, err := api.Status(withToken, &controlpb.StatusRequest{}); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	for _, tt := range []struct {
		ctx  context.Context
		text string
	}{
		{ctx, "the call carries no token"},
		{metadata.AppendToOutgoingContext(ctx, "authorization", "Basic "+aliceToken), `the authorization is not "Bearer TOKEN"`},
	} {
		_, err := api.Status(tt.ctx, &controlpb.StatusRequest{})
		if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), tt.text) {
			t.Fatalf("err = %v, want Unauthenticated with %q", err, tt.text)
		}
	}
}

// After its burst of failures an address is refused unchecked — even
// with the right token — until its budget refills.
func TestNetworkRateLimitsFailures(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	h := serveNet(t, Network{FailureBurst: 2, FailureInterval: time.Minute, Now: clock})
	ctx := context.Background()
	call := func(token string) error {
		c, err := DialRemote(ctx, Remote{Address: h.addr, Token: token, Fingerprint: h.fingerprint})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Status(ctx, "")
		return err
	}
	for i := range 2 {
		if err := call("guess"); !errors.Is(err, ErrDenied) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	for _, tok := range []string{"guess", aliceToken} {
		if err := call(tok); err == nil || !strings.Contains(err.Error(), "too many failed authentications from 127.0.0.1; try again in 1m0s") {
			t.Fatalf("over the burst, token %q: %v", tok, err)
		}
	}
	now = now.Add(time.Minute)
	if err := call(aliceToken); err != nil {
		t.Fatalf("after the refill: %v", err)
	}
}

func TestFailureLimiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newFailureLimiter(3, 10*time.Second)
	for range 3 {
		if _, b := l.blocked("a", t0); b {
			t.Fatal("blocked within the burst")
		}
		l.fail("a", t0)
	}
	if wait, b := l.blocked("a", t0); !b || wait != 10*time.Second {
		t.Fatalf("after the burst: %v %v", wait, b)
	}
	if _, b := l.blocked("other", t0); b {
		t.Fatal("another address is blocked too")
	}
	if wait, b := l.blocked("a", t0.Add(5*time.Second)); !b || wait != 5*time.Second {
		t.Fatalf("half refilled: %v %v", wait, b)
	}
	if _, b := l.blocked("a", t0.Add(10*time.Second)); b {
		t.Fatal("still blocked after one interval")
	}
	l.fail("a", t0.Add(10*time.Second))
	if _, b := l.blocked("a", t0.Add(10*time.Second)); !b {
		t.Fatal("one refill allows one failure only")
	}
}

// syncWriter is a log destination several goroutines write.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// The certificate of a configured pair is what is served; a pair
// that does not load is an error naming both files.
func TestServerCertificateConfigured(t *testing.T) {
	dir := t.TempDir()
	own, err := ServerCertificate(config.ControlNet{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ServerCertificate(config.ControlNet{TLSCert: filepath.Join(dir, OwnCertFile), TLSKey: filepath.Join(dir, OwnKeyFile)}, t.TempDir())
	if err != nil || LeafFingerprint(got) != LeafFingerprint(own) {
		t.Fatalf("configured pair: %v", err)
	}
	if _, err := ServerCertificate(config.ControlNet{TLSCert: "/nope.crt", TLSKey: "/nope.key"}, dir); err == nil || !strings.Contains(err.Error(), "control.tls_cert /nope.crt, control.tls_key /nope.key") {
		t.Fatalf("missing pair: %v", err)
	}
	// A damaged own certificate is never silently replaced.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, OwnCertFile), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ServerCertificate(config.ControlNet{}, bad); err == nil || !strings.Contains(err.Error(), "remove both to make a new one") {
		t.Fatalf("damaged: %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, OwnKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("own key file: %v %v", st.Mode(), err)
	}
}
