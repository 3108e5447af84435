package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// adapterServer runs in the plugin process: it decodes the host's requests,
// hands the adapter a store.EventStore that reaches the host's store over
// the broker, and encodes the adapter's answers. A request it cannot decode
// is refused with ErrMalformedRequest; a panic in the adapter becomes an
// error for that call instead of killing the plugin.
type adapterServer struct {
	pluginproto.UnimplementedAdapterServer
	impl   Adapter
	logger hclog.Logger
	stores *storeConns
}

var _ pluginproto.AdapterServer = (*adapterServer)(nil)

func (s *adapterServer) Describe(ctx context.Context, _ *pluginproto.DescribeRequest) (resp *pluginproto.DescribeResponse, err error) {
	defer s.recoverPanic("Describe", &err)
	info, err := s.impl.Describe(withLogger(ctx, s.logger))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.DescribeResponse{
		Name:            info.Name,
		Version:         info.Version,
		Hints:           info.Hints,
		Conditions:      info.Conditions,
		ProtocolVersion: ProtocolVersion,
	}, nil
}

func (s *adapterServer) ExecuteBlock(ctx context.Context, in *pluginproto.ExecuteBlockRequest) (resp *pluginproto.ExecuteBlockResponse, err error) {
	defer s.recoverPanic("ExecuteBlock", &err)
	req, err := s.decodeExecute(in)
	if err != nil {
		s.logger.Error("refused a malformed ExecuteBlock request", "error", err)
		return nil, toStatus(fmt.Errorf("execute block: %w", err))
	}
	log := s.logger.With("execution_id", req.ExecutionID, "block", req.Block.Name)
	id, err := s.impl.ExecuteBlock(withLogger(ctx, log), req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.ExecuteBlockResponse{ExecutionId: id.String()}, nil
}

func (s *adapterServer) decodeExecute(in *pluginproto.ExecuteBlockRequest) (ExecuteRequest, error) {
	var req ExecuteRequest
	var err error
	if req.ExecutionID, err = parseID("execution_id", in.GetExecutionId()); err != nil {
		return req, err
	}
	if req.FlowExecutionID, err = parseOptionalID("flow_execution_id", in.GetFlowExecutionId()); err != nil {
		return req, err
	}
	if err = decodeDefinitions(in.GetBlock(), in.GetNode(), &req.Block, &req.Node); err != nil {
		return req, err
	}
	// The store before the inputs: go-plugin forgets a brokered
	// connection's address 5 s after it arrived, and decoding large inputs
	// can take a while. (A missing store is reported after bad inputs.)
	storeID := in.GetStoreBrokerId()
	if storeID != 0 {
		if req.Store, err = s.stores.required(storeID); err != nil {
			return req, err
		}
	}
	if err = decodeJSON("inputs", in.GetInputs(), &req.Inputs); err != nil {
		return req, err
	}
	if req.Inputs == nil {
		req.Inputs = map[string]any{}
	}
	req.Attempt = int(in.GetAttempt())
	req.Sequence = in.GetSequence()
	if storeID == 0 {
		req.Store, err = s.stores.required(storeID)
	}
	return req, err
}

func (s *adapterServer) ResumeBlock(ctx context.Context, in *pluginproto.ResumeBlockRequest) (resp *pluginproto.ResumeBlockResponse, err error) {
	defer s.recoverPanic("ResumeBlock", &err)
	var req ResumeRequest
	decode := func() error {
		var err error
		if req.ExecutionID, err = parseID("execution_id", in.GetExecutionId()); err != nil {
			return err
		}
		if req.FlowExecutionID, err = parseOptionalID("flow_execution_id", in.GetFlowExecutionId()); err != nil {
			return err
		}
		if err = decodeDefinitions(in.GetBlock(), in.GetNode(), &req.Block, &req.Node); err != nil {
			return err
		}
		req.Store, err = s.stores.required(in.GetStoreBrokerId())
		return err
	}
	if err := decode(); err != nil {
		s.logger.Error("refused a malformed ResumeBlock request", "error", err)
		return nil, toStatus(fmt.Errorf("resume block: %w", err))
	}
	log := s.logger.With("execution_id", req.ExecutionID, "block", req.Block.Name)
	if err := s.impl.ResumeBlock(withLogger(ctx, log), req); err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.ResumeBlockResponse{}, nil
}

func (s *adapterServer) CancelBlock(ctx context.Context, in *pluginproto.CancelBlockRequest) (resp *pluginproto.CancelBlockResponse, err error) {
	defer s.recoverPanic("CancelBlock", &err)
	req := CancelRequest{Reason: in.GetReason()}
	if req.ExecutionID, err = parseID("execution_id", in.GetExecutionId()); err == nil {
		req.Store, err = s.stores.required(in.GetStoreBrokerId())
	}
	if err != nil {
		s.logger.Error("refused a malformed CancelBlock request", "error", err)
		return nil, toStatus(fmt.Errorf("cancel block: %w", err))
	}
	if err := s.impl.CancelBlock(withLogger(ctx, s.logger.With("execution_id", req.ExecutionID)), req); err != nil {
		return nil, toStatus(err)
	}
	return &pluginproto.CancelBlockResponse{}, nil
}

func (s *adapterServer) EvaluateCondition(ctx context.Context, in *pluginproto.EvaluateConditionRequest) (resp *pluginproto.EvaluateConditionResponse, err error) {
	defer s.recoverPanic("EvaluateCondition", &err)
	req, err := s.decodeCondition(in)
	if err != nil {
		s.logger.Error("refused a malformed EvaluateCondition request", "error", err)
		return nil, toStatus(fmt.Errorf("evaluate condition: %w", err))
	}
	res, err := s.impl.EvaluateCondition(withLogger(ctx, s.logger.With("request_id", req.RequestID)), req)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pluginproto.EvaluateConditionResponse{Reason: res.Reason, Decision: pluginproto.Decision_DECISION_FALSE}
	switch {
	case res.Pending:
		out.Decision = pluginproto.Decision_DECISION_PENDING
	case res.Value:
		out.Decision = pluginproto.Decision_DECISION_TRUE
	}
	return out, nil
}

func (s *adapterServer) decodeCondition(in *pluginproto.EvaluateConditionRequest) (ConditionRequest, error) {
	var req ConditionRequest
	var err error
	if req.RequestID, err = parseID("request_id", in.GetRequestId()); err != nil {
		return req, err
	}
	if req.FlowExecutionID, err = parseOptionalID("flow_execution_id", in.GetFlowExecutionId()); err != nil {
		return req, err
	}
	if req.SourceExecutionID, err = parseOptionalID("source_execution_id", in.GetSourceExecutionId()); err != nil {
		return req, err
	}
	if err = decodeJSON("condition", in.GetCondition(), &req.Condition); err != nil {
		return req, err
	}
	var wire conditionContextJSON
	if err = decodeJSON("context", in.GetContext(), &wire); err != nil {
		return req, err
	}
	req.Context = wire.context()
	req.EdgeIndex = int(in.GetEdgeIndex())
	if req.Store, err = s.stores.optional(in.GetStoreBrokerId()); err != nil {
		return req, err
	}
	return req, nil
}

// recoverPanic turns a panic in the adapter into an Internal error for the
// call in progress, logging the stack so the author can find it.
func (s *adapterServer) recoverPanic(method string, err *error) {
	if r := recover(); r != nil {
		s.logger.Error("adapter panicked", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "plugin adapter panicked in %s: %v", method, r)
	}
}

// decodeDefinitions decodes the block and node of a request.
func decodeDefinitions(block, node []byte, b *core.WorkBlock, n *core.NodeReference) error {
	if err := decodeJSON("block", block, b); err != nil {
		return err
	}
	return decodeJSON("node", node, n)
}

// conditionContextJSON is ConditionContext as it crosses the wire.
type conditionContextJSON struct {
	Inputs   map[string]any `json:"inputs"`
	Outputs  map[string]any `json:"outputs"`
	Source   map[string]any `json:"source"`
	Flow     map[string]any `json:"flow"`
	Metadata map[string]any `json:"metadata"`
}

func contextJSON(c ConditionContext) ([]byte, error) {
	return json.Marshal(conditionContextJSON{
		Inputs: c.FlowInputs, Outputs: c.SourceOutputs, Source: c.Source, Flow: c.Flow, Metadata: c.Metadata,
	})
}

func (w conditionContextJSON) context() ConditionContext {
	return ConditionContext{
		FlowInputs: w.Inputs, SourceOutputs: w.Outputs, Source: w.Source, Flow: w.Flow, Metadata: w.Metadata,
	}
}

// storeConns dials the host's store once per broker id and shares the
// connection between requests: go-plugin hands out a broker id's
// connection info only once, and one connection per store keeps every
// store call a single round trip.
type storeConns struct {
	broker *plugin.GRPCBroker

	mu    sync.Mutex
	conns map[uint32]pluginproto.EventStoreClient
}

func newStoreConns(broker *plugin.GRPCBroker) *storeConns {
	return &storeConns{broker: broker, conns: map[uint32]pluginproto.EventStoreClient{}}
}

// required returns a store handle for a request that needs one.
func (c *storeConns) required(id uint32) (store.EventStore, error) {
	if id == 0 {
		return nil, malformed("store_broker_id", fmt.Errorf("missing: the host sent no event store"))
	}
	return c.optional(id)
}

// optional returns a store handle, or nil when the host sent none.
func (c *storeConns) optional(id uint32) (store.EventStore, error) {
	if id == 0 {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rpc, ok := c.conns[id]
	if !ok {
		conn, err := c.broker.DialWithOptions(id, messageDialOptions()...)
		if err != nil {
			return nil, fmt.Errorf("%w: connect to the host's event store (broker id %d): %w", ErrUnavailable, id, err)
		}
		rpc = pluginproto.NewEventStoreClient(conn)
		c.conns[id] = rpc
	}
	return newStoreClient(rpc), nil
}

// registerAdapter registers the adapter on a plugin's gRPC server.
func registerAdapter(s *grpc.Server, impl Adapter, broker *plugin.GRPCBroker, logger hclog.Logger) {
	pluginproto.RegisterAdapterServer(s, &adapterServer{impl: impl, logger: logger, stores: newStoreConns(broker)})
}
