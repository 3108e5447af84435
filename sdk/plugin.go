package sdk

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/openoma/openoma/pluginproto"
)

// PluginName is the name the adapter is served under in go-plugin's plugin
// map; the host dispenses it by this name.
const PluginName = "adapter"

// Magic cookie: a plugin binary started by hand (not by a host) sees no
// cookie and says so instead of waiting for a handshake. It is a UX guard,
// not a security measure; AutoMTLS and checksums are the security.
const (
	MagicCookieKey   = "OPENOMA_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "b7c1d9a4-openoma-adapter-plugin"
)

// Handshake is the handshake host and plugins must agree on: the magic
// cookie and ProtocolVersion. A plugin built for another protocol version
// is refused by the host with an "incompatible API version" error.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// PluginSet returns the plugin set for a host's plugin.ClientConfig: the
// adapter, with its store restricted to the executions the host gives it.
func PluginSet() plugin.PluginSet {
	return plugin.PluginSet{PluginName: &AdapterPlugin{}}
}

// AdapterPlugin is the go-plugin wrapper of an Adapter. The host uses it
// through PluginSet (or ClientConfig) and gets an Adapter from Dispense;
// the plugin side is set up by Serve. Authors rarely touch it directly.
type AdapterPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Impl is the adapter the plugin serves (plugin side only).
	Impl Adapter
	// Logger is the logger put in each request's context (plugin side).
	Logger hclog.Logger

	// HostLogger logs what the host-side shims notice, such as a refused
	// append (host side).
	HostLogger hclog.Logger
	// AllowAnyExecution lifts the rule that a plugin may only write to the
	// executions it was given (host side). Test harnesses that run a store
	// conformance suite through the broker need it; hosts do not.
	AllowAnyExecution bool
}

var _ plugin.GRPCPlugin = (*AdapterPlugin)(nil)

// GRPCServer registers the adapter on the plugin's gRPC server.
func (p *AdapterPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("sdk: AdapterPlugin has no adapter to serve")
	}
	registerAdapter(s, p.Impl, broker, orNullLogger(p.Logger))
	return nil
}

// GRPCClient returns the host-side Adapter that calls the plugin.
func (p *AdapterPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	c := &adapterClient{
		rpc:    pluginproto.NewAdapterClient(conn),
		broker: broker,
		logger: orNullLogger(p.HostLogger),
		served: map[any]uint32{},
	}
	if !p.AllowAnyExecution {
		c.grants = newGrants()
	}
	return c, nil
}

// DefaultStartTimeout bounds how long ClientConfig waits for a plugin to
// complete its handshake.
const DefaultStartTimeout = 20 * time.Second

// ClientConfig returns a go-plugin client configuration for launching the
// plugin binary cmd: the openoma handshake, the gRPC protocol only,
// AutoMTLS on, and the plugin's log lines (hclog JSON on its stderr)
// re-logged through logger. Adjust fields before plugin.NewClient if
// needed (e.g. SecureConfig for a checksum).
func ClientConfig(cmd *exec.Cmd, logger hclog.Logger) *plugin.ClientConfig {
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{PluginName: &AdapterPlugin{HostLogger: logger}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           orNullLogger(logger),
		StartTimeout:     DefaultStartTimeout,
		GRPCDialOptions:  messageDialOptions(),
	}
}

// Dispense starts client's plugin process if it is not running yet,
// completes the handshake and returns the plugin's Adapter.
func Dispense(client *plugin.Client) (Adapter, error) {
	rpc, err := client.Client()
	if err != nil {
		if client.Exited() {
			return nil, fmt.Errorf("start plugin: the plugin process exited during the handshake (its stderr is in the host log): %w", err)
		}
		return nil, fmt.Errorf("start plugin: %w", err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense plugin %q: %w", PluginName, err)
	}
	a, ok := raw.(Adapter)
	if !ok {
		return nil, fmt.Errorf("dispense plugin %q: got %T, not an sdk.Adapter", PluginName, raw)
	}
	return a, nil
}

func orNullLogger(l hclog.Logger) hclog.Logger {
	if l == nil {
		return hclog.NewNullLogger()
	}
	return l
}
