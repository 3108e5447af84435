package sdk

import (
	"google.golang.org/grpc"
)

// messageServerOptions lift gRPC's 4 MiB default on a server of the
// plugin protocol (the adapter service in the plugin, the brokered store
// in the host) to MaxMessageBytes, both ways, and hand each call the
// trace context the caller sent (traceContextUnary).
func messageServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.ChainUnaryInterceptor(traceContextUnary)}
}

// messageDialOptions do the same for a client of the plugin protocol (the
// host's adapter client, the plugin's store client).
func messageDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes))}
}
