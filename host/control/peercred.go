package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/openoma/openoma/host/identity"
)

// Caller is who sent a control-API request: the person its OS user is
// (identity.Directory.OSUser), with the uid, gid and pid the kernel
// reported for the socket peer — they cannot be forged by the client.
type Caller = identity.Caller

// callerInfo is the credentials.AuthInfo of one connection: the caller,
// or why the connection may not be served.
type callerInfo struct {
	credentials.CommonAuthInfo
	caller  Caller
	refusal error
}

func (callerInfo) AuthType() string { return "peercred" }

// CallerFrom returns the caller of a request: the person of its bearer
// token on the network API, else of the socket peer's OS user.
func CallerFrom(ctx context.Context) (Caller, bool) {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok {
		return c, true
	}
	ci, ok := infoFrom(ctx)
	return ci.caller, ok && ci.refusal == nil
}

func infoFrom(ctx context.Context) (callerInfo, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return callerInfo{}, false
	}
	ci, ok := p.AuthInfo.(callerInfo)
	return ci, ok
}

// serverCreds is a grpc TransportCredentials that does no encryption (the
// socket never leaves the machine) but reads each peer's SO_PEERCRED once,
// at connect, checks it against the socket's access and resolves the
// person. A refused peer's connection is kept open only to answer its
// calls with the refusal (see Server.refuse), so it learns who may.
type serverCreds struct {
	access Access
	people *identity.Directory
}

var _ credentials.TransportCredentials = serverCreds{}

func (s serverCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, nil, errors.New("control API accepts unix socket connections only")
	}
	u, err := readPeerCred(uc)
	if err != nil {
		return nil, nil, err
	}
	info := callerInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}
	if info.refusal = s.access.admit(u); info.refusal == nil {
		info.caller = s.people.OSUser(u)
	} else {
		info.caller = Caller{Via: identity.ViaOSUser, User: u.Login, UID: u.UID, GID: u.GID, PID: u.PID}
	}
	return c, info, nil
}

func (serverCreds) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("control: server credentials used by a client")
}

func (serverCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (s serverCreds) Clone() credentials.TransportCredentials { return s }
func (serverCreds) OverrideServerName(string) error           { return nil }

// clientCreds is the client's side: nothing to prove, the kernel does.
type clientCreds struct{}

var _ credentials.TransportCredentials = clientCreds{}

func (clientCreds) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, callerInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (clientCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("control: client credentials used by a server")
}

func (clientCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (c clientCreds) Clone() credentials.TransportCredentials { return c }
func (clientCreds) OverrideServerName(string) error           { return nil }

func readPeerCred(uc *net.UnixConn) (identity.OSUser, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return identity.OSUser{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return identity.OSUser{}, err
	}
	if credErr != nil {
		return identity.OSUser{}, fmt.Errorf("read peer credentials: %w", credErr)
	}
	return identity.LookupOSUser(int(cred.Uid), int(cred.Gid), int(cred.Pid)), nil
}
