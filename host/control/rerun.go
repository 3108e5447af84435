package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/host/control/controlpb"
)

// Rerunner is an optional Backend capability: rerun an ended flow
// execution (see engine.Engine.Rerun). A backend without it answers
// Unimplemented.
type Rerunner interface {
	// Rerun starts a new execution of id's flow version with id's inputs
	// (inputs replacing some) that claims id's completed work, runs the
	// rest again (the failed nodes, those of from, and what follows them),
	// and returns the new execution's id. Refusals record nothing.
	Rerun(ctx context.Context, id uuid.UUID, from []string, inputs map[string]any, by Caller) (uuid.UUID, error)
}

// ClaimStarter is an optional Backend capability: start a contract that
// counts completed flow executions as its work flows (run --claim).
type ClaimStarter interface {
	StartClaiming(ctx context.Context, ref string, inputs map[string]any, claims []uuid.UUID) (uuid.UUID, error)
}

// start starts a run request's flow or contract; with claims (ids or
// unique prefixes) through a ClaimStarter backend.
func (s *Server) start(ctx context.Context, req *controlpb.RunRequest, inputs map[string]any) (uuid.UUID, error) {
	if len(req.Claim) == 0 {
		return s.backend.Start(ctx, req.Ref, inputs)
	}
	cs, ok := s.backend.(ClaimStarter)
	if !ok {
		return uuid.Nil, status.Error(codes.Unimplemented, "this host cannot claim flow executions")
	}
	var claims []uuid.UUID
	for _, text := range req.Claim {
		id, err := s.backend.ResolveID(ctx, text)
		if err != nil {
			return uuid.Nil, fmt.Errorf("--claim %s: %w", text, err)
		}
		claims = append(claims, id)
	}
	return cs.StartClaiming(ctx, req.Ref, inputs, claims)
}

// Rerun serves the Rerun RPC: like Run, the first message carries the new
// execution's id, and with wait reports stream until it ends.
func (s *Server) Rerun(req *controlpb.RerunRequest, stream grpc.ServerStreamingServer[controlpb.ReportMessage]) error {
	ctx := stream.Context()
	r, ok := s.backend.(Rerunner)
	if !ok {
		return status.Error(codes.Unimplemented, "this host cannot rerun executions")
	}
	inputs := map[string]any{}
	if len(req.InputsJson) > 0 && string(req.InputsJson) != "null" {
		if err := json.Unmarshal(req.InputsJson, &inputs); err != nil {
			return status.Errorf(codes.InvalidArgument, "inputs: not a JSON object: %v", err)
		}
	}
	old, err := s.resolveID(ctx, req.ExecutionId)
	if err != nil {
		return err
	}
	caller, _ := CallerFrom(ctx)
	id, err := r.Rerun(ctx, old, req.From, inputs, caller)
	if err != nil {
		return toStatus(err)
	}
	s.log.Info("rerun started", "of", old, "execution", id, "by", caller.String())
	return s.streamReports(ctx, id, req.Wait, stream)
}

// streamReports sends execution id's report, and with wait every change
// of it until the execution ends (the end noticed when it is recorded,
// through a Waiter backend, not at the next poll). It is Run's loop.
func (s *Server) streamReports(ctx context.Context, id uuid.UUID, wait bool, stream grpc.ServerStreamingServer[controlpb.ReportMessage]) error {
	var ended chan struct{}
	if w, ok := s.backend.(Waiter); ok && wait {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ended = make(chan struct{})
		go func() {
			defer close(ended)
			_ = w.Wait(wctx, id)
		}()
	}
	var last []byte
	for {
		b, done, err := s.report(ctx, id)
		if err != nil {
			return err
		}
		final := done || !wait
		if final || string(b) != string(last) {
			if err := stream.Send(&controlpb.ReportMessage{ExecutionId: id.String(), ReportJson: b, Final: final}); err != nil {
				return err
			}
			last = b
		}
		if final {
			return nil
		}
		select {
		case <-ctx.Done():
			return toStatus(ctx.Err())
		case <-ended:
			ended = nil
		case <-time.After(s.PollInterval):
		}
	}
}

// RunClaiming is Run for a contract that counts the completed flow
// executions claims (ids or unique prefixes) as its work flows.
func (c *Client) RunClaiming(ctx context.Context, ref string, inputs map[string]any, claims []string, wait bool, onReport func(Report)) (Report, error) {
	in, err := json.Marshal(inputs)
	if err != nil {
		return Report{}, fmt.Errorf("encode inputs: %w", err)
	}
	stream, err := c.api.Run(ctx, &controlpb.RunRequest{Ref: ref, InputsJson: in, Wait: wait, Claim: claims})
	if err != nil {
		return Report{}, fromStatus(err)
	}
	return receiveReports(stream, onReport)
}

// receiveReports reads a Run or Rerun stream to its end.
func receiveReports(stream grpc.ServerStreamingClient[controlpb.ReportMessage], onReport func(Report)) (Report, error) {
	var last Report
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return last, fromStatus(err)
		}
		last = Report{ExecutionID: m.ExecutionId, JSON: m.ReportJson, Final: m.Final}
		if onReport != nil {
			onReport(last)
		}
	}
}

// Rerun reruns the ended flow or contract execution executionID (an id
// or a unique prefix); onReport is called with each report, as for Run.
func (c *Client) Rerun(ctx context.Context, executionID string, from []string, inputs map[string]any, wait bool, onReport func(Report)) (Report, error) {
	in, err := json.Marshal(inputs)
	if err != nil {
		return Report{}, fmt.Errorf("encode inputs: %w", err)
	}
	stream, err := c.api.Rerun(ctx, &controlpb.RerunRequest{ExecutionId: executionID, From: from, InputsJson: in, Wait: wait})
	if err != nil {
		return Report{}, fromStatus(err)
	}
	return receiveReports(stream, onReport)
}
