package control

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/identity"
)

// Network says how the network control API admits callers: TLS with
// Certificate, and on every call a bearer token ("authorization: Bearer
// …" in the call's metadata) that Tokens resolves to a person.
type Network struct {
	Certificate tls.Certificate
	Tokens      *identity.Tokens
	// Now is the clock tokens expire by; nil: time.Now.
	Now func() time.Time
	// FailureBurst failed authentications from one address are answered
	// at once; after that one more per FailureInterval, the rest refused
	// unchecked until the budget refills. Zero: 10, and one per 6 s.
	FailureBurst    int
	FailureInterval time.Duration
}

// ServeNetwork answers requests on a TCP listener until ctx is done: the
// same service as Serve, behind TLS and a bearer token per call instead
// of the socket's peer credentials. A refusal says why (no token, not a
// bearer token, unknown, expired) and is logged with the caller's address
// (never the token); an address that keeps failing is rate limited.
func (s *Server) ServeNetwork(ctx context.Context, l net.Listener, n Network) error {
	if n.Tokens == nil || n.Tokens.Len() == 0 {
		return errors.New("network control API: no tokens configured (control.tokens): nobody could call")
	}
	if n.Now == nil {
		n.Now = time.Now
	}
	a := &authenticator{net: n, log: s.log, limit: newFailureLimiter(n.FailureBurst, n.FailureInterval)}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{n.Certificate}, MinVersion: tls.VersionTLS12})
	g := grpc.NewServer(grpc.Creds(creds), grpc.UnaryInterceptor(a.unary), grpc.StreamInterceptor(a.stream))
	controlpb.RegisterControlServer(g, s)
	go func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			g.Stop()
		}
	}()
	if err := g.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("network control API: %w", err)
	}
	return nil
}

// callerKey carries a token's caller in a request's context.
type callerKey struct{}

type authenticator struct {
	net   Network
	log   hclog.Logger
	limit *failureLimiter
}

// authenticate returns ctx with the caller of its token, or the refusal.
func (a *authenticator) authenticate(ctx context.Context, method string) (context.Context, error) {
	remote := "unknown"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		remote = p.Addr.String()
		if h, _, err := net.SplitHostPort(remote); err == nil {
			remote = h
		}
	}
	now := a.net.Now()
	if wait, blocked := a.limit.blocked(remote, now); blocked {
		return nil, status.Errorf(codes.ResourceExhausted,
			"control API: too many failed authentications from %s; try again in %s", remote, wait.Round(time.Second))
	}
	caller, err := a.check(ctx, now)
	if err != nil {
		a.limit.fail(remote, now)
		a.log.Warn("refused a network control-API call", "remote", remote, "method", method, "reason", err.Error())
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return context.WithValue(ctx, callerKey{}, caller), nil
}

func (a *authenticator) check(ctx context.Context, now time.Time) (Caller, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return Caller{}, fmt.Errorf("control API: %w: the call carries no token; give one with --token-file (or OPENOMA_TOKEN_FILE)", ErrDenied)
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return Caller{}, fmt.Errorf("control API: %w: the authorization is not \"Bearer TOKEN\"", ErrDenied)
	}
	c, err := a.net.Tokens.Resolve(strings.TrimSpace(token), now)
	if err != nil {
		return Caller{}, fmt.Errorf("control API: %w", err)
	}
	return c, nil
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	ctx, err := a.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return next(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	ctx, err := a.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return next(srv, &callerStream{ServerStream: ss, ctx: ctx})
}

// callerStream is a stream whose context carries its caller.
type callerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *callerStream) Context() context.Context { return s.ctx }

// failureLimiter is a token bucket of failed authentications per remote
// address: burst failures at once, then one per interval. It bounds what
// guessing costs the host (a check and a log line) rather than hoping to
// stop a guess — tokens are long enough that guessing is hopeless anyway.
type failureLimiter struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	buckets  map[string]*failBucket
}

type failBucket struct {
	left float64 // failures still allowed
	at   time.Time
}

func newFailureLimiter(burst int, interval time.Duration) *failureLimiter {
	if burst <= 0 {
		burst = 10
	}
	if interval <= 0 {
		interval = 6 * time.Second
	}
	return &failureLimiter{burst: float64(burst), interval: interval, buckets: map[string]*failBucket{}}
}

// refill brings b up to now; the caller holds mu.
func (l *failureLimiter) refill(b *failBucket, now time.Time) {
	if now.After(b.at) {
		b.left = min(l.burst, b.left+float64(now.Sub(b.at))/float64(l.interval))
		b.at = now
	}
}

// blocked reports whether remote has no failures left, and how long
// until it has one.
func (l *failureLimiter) blocked(remote string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[remote]
	if !ok {
		return 0, false
	}
	l.refill(b, now)
	if b.left >= 1 {
		return 0, false
	}
	return time.Duration((1 - b.left) * float64(l.interval)), true
}

// fail counts one failed authentication of remote.
func (l *failureLimiter) fail(remote string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[remote]
	if !ok {
		if len(l.buckets) >= 4096 {
			l.prune(now)
		}
		b = &failBucket{left: l.burst, at: now}
		l.buckets[remote] = b
	}
	l.refill(b, now)
	b.left--
}

// prune forgets the addresses whose budget is full again; the caller
// holds mu.
func (l *failureLimiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now); b.left >= l.burst {
			delete(l.buckets, k)
		}
	}
}
