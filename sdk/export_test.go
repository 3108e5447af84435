package sdk

import "github.com/hashicorp/go-plugin"

// WithHandshakeForTest lets the tests build a plugin that speaks another
// protocol version.
func WithHandshakeForTest(h plugin.HandshakeConfig) ServeOption { return withHandshake(h) }
