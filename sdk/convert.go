package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// wireError ties a sentinel error to the status code and ErrorDetail reason
// it travels as. Order matters: the first sentinel an error matches wins,
// so the more specific ones (ErrNotGranted wraps store.ErrInvalid) come
// first.
type wireError struct {
	reason string
	code   codes.Code
	err    error
}

var wireErrors = []wireError{
	{"NOT_GRANTED", codes.PermissionDenied, ErrNotGranted},
	{"CONFLICT", codes.Aborted, store.ErrConflict},
	{"FINAL", codes.FailedPrecondition, store.ErrFinal},
	{"NOT_FOUND", codes.NotFound, store.ErrNotFound},
	{"INVALID", codes.InvalidArgument, store.ErrInvalid},
	{"CLOSED", codes.FailedPrecondition, store.ErrClosed},
	{"MALFORMED_REQUEST", codes.InvalidArgument, ErrMalformedRequest},
	{"UNSUPPORTED", codes.Unimplemented, ErrUnsupported},
	{"UNDECLARED_OUTPUT", codes.InvalidArgument, ErrUndeclaredOutput},
	{"MISSING_OUTPUT", codes.FailedPrecondition, ErrMissingOutput},
	{"WRONG_EXECUTION", codes.InvalidArgument, ErrWrongExecution},
	{"NO_PREDICATE", codes.InvalidArgument, ErrNoPredicate},
	{"UNAVAILABLE", codes.Unavailable, ErrUnavailable},
}

// toStatus turns an error returned by an adapter or a store into a gRPC
// status error that carries the identity of its sentinel, if it has one.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	for _, w := range wireErrors {
		if errors.Is(err, w.err) {
			st, detailErr := status.New(w.code, err.Error()).WithDetails(&pluginproto.ErrorDetail{Reason: w.reason})
			if detailErr != nil {
				return status.Error(w.code, err.Error())
			}
			return st.Err()
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}

// remoteError is an error received from the other side of the wire. Its
// text is the peer's; Unwrap gives the sentinel it stood for, so errors.Is
// matches as it would have on the peer.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// fromStatus turns an error from a gRPC call back into an error that
// matches the sentinel the peer returned. Context cancellation and deadline
// match context.Canceled and context.DeadlineExceeded; a transport failure
// matches ErrUnavailable.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		detail, ok := d.(*pluginproto.ErrorDetail)
		if !ok {
			continue
		}
		for _, w := range wireErrors {
			if w.reason == detail.GetReason() {
				return &remoteError{msg: st.Message(), sentinel: w.err}
			}
		}
	}
	switch st.Code() {
	case codes.Canceled:
		return &remoteError{msg: st.Message(), sentinel: context.Canceled}
	case codes.DeadlineExceeded:
		return &remoteError{msg: st.Message(), sentinel: context.DeadlineExceeded}
	case codes.Unavailable:
		return &remoteError{msg: ErrUnavailable.Error() + ": " + st.Message(), sentinel: ErrUnavailable}
	}
	return errors.New(st.Message())
}

// malformed reports a request field that could not be decoded.
func malformed(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformedRequest, field, err)
}

// parseID decodes a required UUID field.
func parseID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, malformed(field, errors.New("missing"))
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, malformed(field, err)
	}
	return id, nil
}

// parseOptionalID decodes a UUID field that may be empty (uuid.Nil).
func parseOptionalID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	return parseID(field, s)
}

// idString encodes a UUID field; uuid.Nil is empty.
func idString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// decodeJSON decodes a JSON field of a request into v.
func decodeJSON(field string, data []byte, v any) error {
	if len(data) == 0 {
		return malformed(field, errors.New("missing"))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return malformed(field, err)
	}
	return nil
}

// encodeEvents converts events for the wire.
func encodeEvents(events []execution.Event) ([]*pluginproto.Event, error) {
	out := make([]*pluginproto.Event, len(events))
	for i := range events {
		p, err := encodeEvent(&events[i])
		if err != nil {
			return nil, fmt.Errorf("%w: event %d (%s): %w", store.ErrInvalid, i, events[i].EventType, err)
		}
		out[i] = p
	}
	return out, nil
}

func encodeEvent(ev *execution.Event) (*pluginproto.Event, error) {
	p := &pluginproto.Event{
		Id:          idString(ev.ID),
		ExecutionId: idString(ev.ExecutionID),
		EventType:   string(ev.EventType),
		Payload:     ev.Payload,
		Sequence:    ev.Sequence,
		Position:    ev.Position,
	}
	if !ev.Timestamp.IsZero() {
		p.Timestamp = timestamppb.New(ev.Timestamp)
	}
	var err error
	if ev.Executor != nil {
		if p.Executor, err = json.Marshal(ev.Executor); err != nil {
			return nil, fmt.Errorf("executor: %w", err)
		}
	}
	if ev.Metadata != nil {
		if p.Metadata, err = json.Marshal(ev.Metadata); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
	}
	return p, nil
}

// decodeEvents converts events from the wire.
func decodeEvents(raw []*pluginproto.Event) ([]execution.Event, error) {
	out := make([]execution.Event, len(raw))
	for i, p := range raw {
		ev, err := decodeEvent(p)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		out[i] = ev
	}
	return out, nil
}

func decodeEvent(p *pluginproto.Event) (execution.Event, error) {
	var ev execution.Event
	if p == nil {
		return ev, fmt.Errorf("%w: empty event", store.ErrInvalid)
	}
	var err error
	if ev.ID, err = parseOptionalID("event.id", p.GetId()); err != nil {
		return ev, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	if ev.ExecutionID, err = parseOptionalID("event.execution_id", p.GetExecutionId()); err != nil {
		return ev, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	ev.EventType = execution.EventType(p.GetEventType())
	if p.Timestamp != nil {
		ev.Timestamp = p.GetTimestamp().AsTime()
	}
	if len(p.GetPayload()) > 0 {
		ev.Payload = p.GetPayload()
	}
	if len(p.GetExecutor()) > 0 {
		ev.Executor = new(execution.ExecutorInfo)
		if err := json.Unmarshal(p.GetExecutor(), ev.Executor); err != nil {
			return ev, fmt.Errorf("%w: event %s: executor: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	if len(p.GetMetadata()) > 0 {
		if err := json.Unmarshal(p.GetMetadata(), &ev.Metadata); err != nil {
			return ev, fmt.Errorf("%w: event %s: metadata: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	ev.Sequence = p.GetSequence()
	ev.Position = p.GetPosition()
	return ev, nil
}

func infoToProto(info store.ExecutionInfo) *pluginproto.ExecutionInfo {
	p := &pluginproto.ExecutionInfo{
		Id:                idString(info.ID),
		Kind:              string(info.Kind),
		Parent:            idString(info.Parent),
		DefinitionId:      idString(info.DefinitionID),
		DefinitionVersion: int64(info.DefinitionVersion),
		LastSequence:      info.LastSequence,
		Terminal:          info.Terminal,
	}
	if !info.CreatedAt.IsZero() {
		p.CreatedAt = timestamppb.New(info.CreatedAt)
	}
	return p
}

func infoFromProto(p *pluginproto.ExecutionInfo) (store.ExecutionInfo, error) {
	if p == nil {
		return store.ExecutionInfo{}, fmt.Errorf("%w: empty execution info", ErrMalformedRequest)
	}
	id, err := parseID("execution_info.id", p.GetId())
	if err != nil {
		return store.ExecutionInfo{}, err
	}
	parent, err := parseOptionalID("execution_info.parent", p.GetParent())
	if err != nil {
		return store.ExecutionInfo{}, err
	}
	def, err := parseOptionalID("execution_info.definition_id", p.GetDefinitionId())
	if err != nil {
		return store.ExecutionInfo{}, err
	}
	info := store.ExecutionInfo{
		ID:                id,
		Kind:              execution.Kind(p.GetKind()),
		Parent:            parent,
		DefinitionID:      def,
		DefinitionVersion: int(p.GetDefinitionVersion()),
		LastSequence:      p.GetLastSequence(),
		Terminal:          p.GetTerminal(),
	}
	if p.CreatedAt != nil {
		info.CreatedAt = p.GetCreatedAt().AsTime()
	}
	return info, nil
}

func executionKind(s string) execution.Kind { return execution.Kind(s) }
