// Package control is the daemon's control API: a gRPC service on a unix
// socket through which the CLI's verbs reach a running openoma-host, since
// the daemon holds the data directory's lock, and optionally the same
// service on TCP for other machines (ServeNetwork, DialRemote). Requests
// and the Backend are typed; reports, events and tasks cross as JSON, the
// same objects the CLI prints with --json.
//
// Who may connect is Access: the daemon's OS user and root, and with
// control.socket_group the group's members. The file mode keeps others
// out — the socket is bound in a private 0700 directory, given its mode
// and group there and renamed into place (Listen), so there is no window
// after bind — and the server checks every peer again with SO_PEERCRED at
// connect; a refused peer gets the refusal, which names who may, on every
// call, and no request reaches the Backend. An admitted peer's OS user is
// resolved to a person by the identity package, once per connection;
// handlers pass that Caller to the backend.
//
// On TCP there is no kernel to name the peer: the connection is TLS (a
// configured certificate, or the host's own self-signed one that clients
// pin by its SHA-256, ServerCertificate), and every call — not only the
// first on a connection — carries a bearer token that identity.Tokens
// resolves to a person, who is then the call's Caller exactly as an OS
// user is on the socket. A refused call is answered Unauthenticated with
// the reason and logged with the remote address; failures are rate
// limited per address (a token bucket), and an address over its budget is
// refused without a check until it refills.
//
// Who serves a socket is decided by its serve lock (LockServe): serve
// takes it before opening the data directory, and a verb that runs an
// embedded host takes it too, so a verb that finds no socket can tell
// a daemon that is starting (wait for its socket) from none (serve it
// itself), and serve can wait for a short-lived verb.
//
// Errors of the backend and of the domain packages behind it (tasks,
// identity) are translated into gRPC codes and back into this package's
// sentinels (ErrNotFound, ErrInvalid, ErrDenied, ErrUnavailable), so the
// CLI can answer by kind.
package control
