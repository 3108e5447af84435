// Package control is the daemon's control API: a gRPC service on a unix
// socket (mode 0600, in a 0700 directory) through which the CLI's verbs
// reach a running openoma-host, since the daemon holds the data directory's
// lock. The server reads each caller's OS identity from the socket (peer
// credentials), so actions can be attributed and authorised without a
// password. Reports and events cross as JSON, the same objects the CLI
// prints with --json.
package control
