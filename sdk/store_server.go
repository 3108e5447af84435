package sdk

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// storeServer serves the host's EventStore to a plugin over the GRPCBroker.
// It runs in the host process. Every append passes the plugin's grants
// first (nil grants allow any execution).
type storeServer struct {
	pluginproto.UnimplementedEventStoreServer
	store  store.EventStore
	grants *grants
	logger hclog.Logger
}

var _ pluginproto.EventStoreServer = (*storeServer)(nil)

func (s *storeServer) Append(ctx context.Context, req *pluginproto.AppendRequest) (*pluginproto.AppendResponse, error) {
	events, err := decodeEvents(req.GetEvents())
	if err != nil {
		return nil, toStatus(err)
	}
	if len(events) == 0 {
		return nil, toStatus(fmt.Errorf("%w: no events", store.ErrInvalid))
	}
	if s.grants != nil {
		if err := s.grants.check(events); err != nil {
			s.logger.Warn("refused an append from the plugin", "execution_id", events[0].ExecutionID, "error", err)
			return nil, toStatus(refusal(ctx, s.store, events, err))
		}
	}
	var opts store.AppendOptions
	if req.ExpectedSequence != nil {
		opts = store.ExpectSequence(req.GetExpectedSequence())
	}
	stored, err := s.store.Append(ctx, events, opts)
	if err != nil {
		return nil, toStatus(err)
	}
	if s.grants != nil {
		s.grants.settle(stored)
	}
	raw, err := encodeEvents(stored)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.AppendResponse{Events: raw}, nil
}

func (s *storeServer) Events(ctx context.Context, req *pluginproto.EventsRequest) (*pluginproto.EventsResponse, error) {
	id, err := parseID("execution_id", req.GetExecutionId())
	if err != nil {
		return nil, toStatus(err)
	}
	events, err := s.store.Events(ctx, id, req.GetAfter())
	if err != nil {
		return nil, toStatus(err)
	}
	raw, err := encodeEvents(events)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.EventsResponse{Events: raw}, nil
}

func (s *storeServer) LatestEvent(ctx context.Context, req *pluginproto.LatestEventRequest) (*pluginproto.LatestEventResponse, error) {
	id, err := parseID("execution_id", req.GetExecutionId())
	if err != nil {
		return nil, toStatus(err)
	}
	ev, err := s.store.LatestEvent(ctx, id)
	if err != nil {
		return nil, toStatus(err)
	}
	p, err := encodeEvent(&ev)
	if err != nil {
		return nil, toStatus(fmt.Errorf("%w: %w", store.ErrInvalid, err))
	}
	return &pluginproto.LatestEventResponse{Event: p}, nil
}

func (s *storeServer) Execution(ctx context.Context, req *pluginproto.ExecutionRequest) (*pluginproto.ExecutionResponse, error) {
	id, err := parseID("execution_id", req.GetExecutionId())
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := s.store.Execution(ctx, id)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.ExecutionResponse{Info: infoToProto(info)}, nil
}

func (s *storeServer) ListExecutions(ctx context.Context, req *pluginproto.ListExecutionsRequest) (*pluginproto.ListExecutionsResponse, error) {
	f, err := filterFromProto(req)
	if err != nil {
		return nil, toStatus(err)
	}
	infos, err := s.store.ListExecutions(ctx, f)
	if err != nil {
		return nil, toStatus(err)
	}
	out := make([]*pluginproto.ExecutionInfo, len(infos))
	for i := range infos {
		out[i] = infoToProto(infos[i])
	}
	return &pluginproto.ListExecutionsResponse{Executions: out}, nil
}

// Subscribe subscribes to the host's store and forwards events until the
// plugin cancels the stream or the store ends the subscription. gRPC flow
// control holds the sender when the plugin reads slowly; that stalls only
// this stream, never the store's writers.
func (s *storeServer) Subscribe(req *pluginproto.SubscribeRequest, stream grpc.ServerStreamingServer[pluginproto.SubscribeResponse]) error {
	ctx := stream.Context()
	id, err := parseOptionalID("execution_id", req.GetExecutionId())
	if err != nil {
		return toStatus(err)
	}
	sub, err := s.store.Subscribe(ctx, store.SubscribeOptions{ExecutionID: id, After: req.GetAfter()})
	if err != nil {
		return toStatus(err)
	}
	defer func() { _ = sub.Close() }()
	// Headers tell the client the subscription is in place.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return toStatus(err)
		}
		p, err := encodeEvent(&ev)
		if err != nil {
			return toStatus(fmt.Errorf("%w: %w", store.ErrInvalid, err))
		}
		if err := stream.Send(&pluginproto.SubscribeResponse{Event: p}); err != nil {
			return err
		}
	}
}

func filterFromProto(req *pluginproto.ListExecutionsRequest) (store.Filter, error) {
	parent, err := parseOptionalID("parent", req.GetParent())
	if err != nil {
		return store.Filter{}, err
	}
	def, err := parseOptionalID("definition_id", req.GetDefinitionId())
	if err != nil {
		return store.Filter{}, err
	}
	return store.Filter{
		OpenOnly:     req.GetOpenOnly(),
		Parent:       parent,
		DefinitionID: def,
		Kind:         executionKind(req.GetKind()),
	}, nil
}
