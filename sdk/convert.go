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

// encodeEvents encodes events in their canonical JSON form.
func encodeEvents(events []execution.Event) ([][]byte, error) {
	out := make([][]byte, len(events))
	for i := range events {
		b, err := json.Marshal(events[i])
		if err != nil {
			return nil, fmt.Errorf("%w: event %d (%s): %w", store.ErrInvalid, i, events[i].EventType, err)
		}
		out[i] = b
	}
	return out, nil
}

// decodeEvents decodes events from their canonical JSON form.
func decodeEvents(raw [][]byte) ([]execution.Event, error) {
	out := make([]execution.Event, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("%w: event %d is not an openoma event: %w", store.ErrInvalid, i, err)
		}
	}
	return out, nil
}

func decodeEvent(raw []byte) (execution.Event, error) {
	var ev execution.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return ev, fmt.Errorf("%w: not an openoma event: %w", store.ErrInvalid, err)
	}
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

// ev1 wraps one event as a batch, for the shared encoder.
func ev1(ev execution.Event) []execution.Event { return []execution.Event{ev} }

func executionKind(s string) execution.Kind { return execution.Kind(s) }
