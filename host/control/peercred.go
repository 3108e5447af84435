package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"syscall"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Caller is the OS identity of a control-API client, read from the unix
// socket by the kernel — it cannot be forged by the client.
type Caller struct {
	UID  int
	GID  int
	PID  int
	User string // login name, or the uid as text when it has none
}

func (c Caller) String() string { return fmt.Sprintf("%s (uid %d)", c.User, c.UID) }

// callerInfo is the credentials.AuthInfo carrying a Caller.
type callerInfo struct {
	credentials.CommonAuthInfo
	caller Caller
}

func (callerInfo) AuthType() string { return "peercred" }

// CallerFrom returns the OS identity of the client of a request.
func CallerFrom(ctx context.Context) (Caller, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return Caller{}, false
	}
	ci, ok := p.AuthInfo.(callerInfo)
	return ci.caller, ok
}

// peerCreds is a grpc TransportCredentials that does no encryption (the
// socket never leaves the machine) but records the peer's SO_PEERCRED.
type peerCreds struct{}

var _ credentials.TransportCredentials = peerCreds{}

func (peerCreds) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, callerInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (peerCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, nil, errors.New("control API accepts unix socket connections only")
	}
	caller, err := readPeerCred(uc)
	if err != nil {
		return nil, nil, err
	}
	return c, callerInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}, caller: caller}, nil
}

func (peerCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (p peerCreds) Clone() credentials.TransportCredentials { return p }
func (peerCreds) OverrideServerName(string) error           { return nil }

func readPeerCred(uc *net.UnixConn) (Caller, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return Caller{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Caller{}, err
	}
	if credErr != nil {
		return Caller{}, fmt.Errorf("read peer credentials: %w", credErr)
	}
	c := Caller{UID: int(cred.Uid), GID: int(cred.Gid), PID: int(cred.Pid), User: strconv.Itoa(int(cred.Uid))}
	if u, err := user.LookupId(c.User); err == nil {
		c.User = u.Username
	}
	return c, nil
}
