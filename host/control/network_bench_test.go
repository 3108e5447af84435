package control

import (
	"context"
	"testing"
)

// BenchmarkNetwork is what a CLI verb over --address pays: connect is a
// TCP and TLS handshake (ECDSA P-256, pinned) and one call with its token
// check; call is one more call on an open connection, the token compared
// with every configured digest.
func BenchmarkNetwork(b *testing.B) {
	h := serveNet(b, Network{})
	ctx := context.Background()
	r := Remote{Address: h.addr, Token: aliceToken, Fingerprint: h.fingerprint}
	b.Run("connect and call", func(b *testing.B) {
		for b.Loop() {
			c, err := DialRemote(ctx, r)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Plugins(ctx); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	b.Run("call", func(b *testing.B) {
		c, err := DialRemote(ctx, r)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			if _, err := c.Plugins(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
