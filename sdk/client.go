package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// adapterClient runs in the host: it is the sdk.Adapter the host gets from
// Dispense. It encodes each request, serves the request's event store to
// the plugin over the GRPCBroker, and records which executions it gave the
// plugin so the served store refuses writes anywhere else.
type adapterClient struct {
	rpc    pluginproto.AdapterClient
	broker *plugin.GRPCBroker
	grants *grants // nil: the plugin may write to any execution
	logger hclog.Logger

	mu     sync.Mutex
	served map[any]uint32
}

var _ Adapter = (*adapterClient)(nil)

func (c *adapterClient) Describe(ctx context.Context) (Info, error) {
	resp, err := c.rpc.Describe(ctx, &pluginproto.DescribeRequest{})
	if err != nil {
		return Info{}, fmt.Errorf("plugin describe: %w", fromStatus(err))
	}
	info := Info{
		Name:            resp.GetName(),
		Version:         resp.GetVersion(),
		Hints:           resp.GetHints(),
		Conditions:      resp.GetConditions(),
		ProtocolVersion: int(resp.GetProtocolVersion()),
	}
	if info.ProtocolVersion != ProtocolVersion {
		return info, fmt.Errorf("plugin describe: plugin %q speaks protocol version %d, the host speaks %d", info.Name, info.ProtocolVersion, ProtocolVersion)
	}
	return info, nil
}

func (c *adapterClient) ExecuteBlock(ctx context.Context, req ExecuteRequest) (uuid.UUID, error) {
	in, err := c.encodeExecute(req)
	if err != nil {
		return uuid.Nil, fmt.Errorf("execute block %s: %w", req.ExecutionID, err)
	}
	c.grantBlock(req.ExecutionID)
	resp, err := c.rpc.ExecuteBlock(ctx, in)
	if err != nil {
		c.releaseBlock(req.ExecutionID)
		return uuid.Nil, fmt.Errorf("execute block %s: %w", req.ExecutionID, fromStatus(err))
	}
	got, err := uuid.Parse(resp.GetExecutionId())
	if err != nil || got != req.ExecutionID {
		return uuid.Nil, fmt.Errorf("execute block %s: plugin answered with execution id %q, want the id it was given", req.ExecutionID, resp.GetExecutionId())
	}
	return got, nil
}

func (c *adapterClient) encodeExecute(req ExecuteRequest) (*pluginproto.ExecuteBlockRequest, error) {
	if req.ExecutionID == uuid.Nil {
		return nil, fmt.Errorf("%w: no execution id", ErrMalformedRequest)
	}
	block, node, err := encodeDefinitions(req.Block, req.Node)
	if err != nil {
		return nil, err
	}
	inputs := req.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	rawInputs, err := json.Marshal(inputs)
	if err != nil {
		return nil, fmt.Errorf("%w: inputs: %w", ErrMalformedRequest, err)
	}
	if err := checkMessageSize("the inputs of "+req.Block.Describe()+" encoded as JSON", len(rawInputs)+len(block)+len(node)); err != nil {
		return nil, err
	}
	brokerID, err := c.serveStore(req.Store, true)
	if err != nil {
		return nil, err
	}
	return &pluginproto.ExecuteBlockRequest{
		ExecutionId:     req.ExecutionID.String(),
		FlowExecutionId: idString(req.FlowExecutionID),
		Block:           block,
		Node:            node,
		Inputs:          rawInputs,
		Attempt:         uint32(max(req.Attempt, 0)),
		Sequence:        req.Sequence,
		StoreBrokerId:   brokerID,
	}, nil
}

func (c *adapterClient) ResumeBlock(ctx context.Context, req ResumeRequest) error {
	if req.ExecutionID == uuid.Nil {
		return fmt.Errorf("resume block: %w: no execution id", ErrMalformedRequest)
	}
	block, node, err := encodeDefinitions(req.Block, req.Node)
	if err != nil {
		return fmt.Errorf("resume block %s: %w", req.ExecutionID, err)
	}
	brokerID, err := c.serveStore(req.Store, true)
	if err != nil {
		return fmt.Errorf("resume block %s: %w", req.ExecutionID, err)
	}
	c.grantBlock(req.ExecutionID)
	_, err = c.rpc.ResumeBlock(ctx, &pluginproto.ResumeBlockRequest{
		ExecutionId:     req.ExecutionID.String(),
		FlowExecutionId: idString(req.FlowExecutionID),
		Block:           block,
		Node:            node,
		StoreBrokerId:   brokerID,
	})
	if err != nil {
		c.releaseBlock(req.ExecutionID)
		return fmt.Errorf("resume block %s: %w", req.ExecutionID, fromStatus(err))
	}
	c.releaseIfEnded(ctx, req.Store, req.ExecutionID)
	return nil
}

func (c *adapterClient) CancelBlock(ctx context.Context, req CancelRequest) error {
	if req.ExecutionID == uuid.Nil {
		return fmt.Errorf("cancel block: %w: no execution id", ErrMalformedRequest)
	}
	brokerID, err := c.serveStore(req.Store, true)
	if err != nil {
		return fmt.Errorf("cancel block %s: %w", req.ExecutionID, err)
	}
	c.grantBlock(req.ExecutionID)
	_, err = c.rpc.CancelBlock(ctx, &pluginproto.CancelBlockRequest{
		ExecutionId:   req.ExecutionID.String(),
		Reason:        req.Reason,
		StoreBrokerId: brokerID,
	})
	if err != nil {
		c.releaseBlock(req.ExecutionID)
		return fmt.Errorf("cancel block %s: %w", req.ExecutionID, fromStatus(err))
	}
	c.releaseIfEnded(ctx, req.Store, req.ExecutionID)
	return nil
}

// releaseIfEnded drops the grant of an execution that has already ended
// (a resume or cancel that had nothing to do appends no terminal event, so
// the grant would otherwise outlive it).
func (c *adapterClient) releaseIfEnded(ctx context.Context, s store.EventStore, id uuid.UUID) {
	if c.grants == nil {
		return
	}
	if info, err := s.Execution(ctx, id); err == nil && info.Terminal {
		c.grants.forgetBlock(id)
	}
}

func (c *adapterClient) EvaluateCondition(ctx context.Context, req ConditionRequest) (ConditionResult, error) {
	if req.RequestID == uuid.Nil {
		return ConditionResult{}, fmt.Errorf("evaluate condition: %w: no request id", ErrMalformedRequest)
	}
	in, err := c.encodeCondition(req)
	if err != nil {
		return ConditionResult{}, fmt.Errorf("evaluate condition %s: %w", req.RequestID, err)
	}
	if c.grants != nil && req.FlowExecutionID != uuid.Nil {
		c.grants.grantDecision(req.RequestID, req.FlowExecutionID)
	}
	resp, err := c.rpc.EvaluateCondition(ctx, in)
	res, err := conditionResult(resp, err)
	if c.grants != nil && (err != nil || !res.Pending) {
		c.grants.releaseDecision(req.RequestID)
	}
	if err != nil {
		return ConditionResult{}, fmt.Errorf("evaluate condition %s: %w", req.RequestID, err)
	}
	return res, nil
}

func (c *adapterClient) encodeCondition(req ConditionRequest) (*pluginproto.EvaluateConditionRequest, error) {
	cond, err := json.Marshal(req.Condition)
	if err != nil {
		return nil, fmt.Errorf("%w: condition: %w", ErrMalformedRequest, err)
	}
	cc, err := contextJSON(req.Context)
	if err != nil {
		return nil, fmt.Errorf("%w: context: %w", ErrMalformedRequest, err)
	}
	brokerID, err := c.serveStore(req.Store, false)
	if err != nil {
		return nil, err
	}
	return &pluginproto.EvaluateConditionRequest{
		RequestId:         req.RequestID.String(),
		FlowExecutionId:   idString(req.FlowExecutionID),
		Condition:         cond,
		Context:           cc,
		EdgeIndex:         int32(req.EdgeIndex),
		SourceExecutionId: idString(req.SourceExecutionID),
		StoreBrokerId:     brokerID,
	}, nil
}

// conditionResult decodes an answer; one without a decision is a protocol
// error, never a silent false.
func conditionResult(resp *pluginproto.EvaluateConditionResponse, err error) (ConditionResult, error) {
	if err != nil {
		return ConditionResult{}, fromStatus(err)
	}
	res := ConditionResult{Reason: resp.GetReason()}
	switch resp.GetDecision() {
	case pluginproto.Decision_DECISION_TRUE:
		res.Value = true
	case pluginproto.Decision_DECISION_FALSE:
	case pluginproto.Decision_DECISION_PENDING:
		res.Pending = true
	default:
		return res, fmt.Errorf("plugin answered without a decision (%s)", resp.GetDecision())
	}
	return res, nil
}

func (c *adapterClient) grantBlock(id uuid.UUID) {
	if c.grants != nil {
		c.grants.grantBlock(id)
	}
}

func (c *adapterClient) releaseBlock(id uuid.UUID) {
	if c.grants != nil {
		c.grants.releaseBlock(id)
	}
}

// serveStore serves s to the plugin over the broker and returns its broker
// id; 0 means no store. A store is served once per plugin connection and
// its id reused: each broker id costs a listener and a connection, far too
// much to pay per call.
func (c *adapterClient) serveStore(s store.EventStore, required bool) (uint32, error) {
	if s == nil {
		if required {
			return 0, fmt.Errorf("%w: no event store in the request", ErrMalformedRequest)
		}
		return 0, nil
	}
	// Only pointers are reused: they are always comparable, and a store is
	// shared by reference anyway.
	reusable := reflect.TypeOf(s).Kind() == reflect.Pointer
	if reusable {
		c.mu.Lock()
		defer c.mu.Unlock()
		if id, ok := c.served[s]; ok {
			return id, nil
		}
	}
	id := c.broker.NextId()
	server := &storeServer{store: s, grants: c.grants, logger: c.logger}
	go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		srv := grpc.NewServer(append(opts, messageServerOptions()...)...)
		pluginproto.RegisterEventStoreServer(srv, server)
		return srv
	})
	if reusable {
		c.served[s] = id
	}
	return id, nil
}

// encodeDefinitions encodes a request's block and node in canonical JSON.
func encodeDefinitions(block, node any) ([]byte, []byte, error) {
	b, err := json.Marshal(block)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: block: %w", ErrMalformedRequest, err)
	}
	n, err := json.Marshal(node)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: node: %w", ErrMalformedRequest, err)
	}
	return b, n, nil
}
