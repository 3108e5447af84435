package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openoma/openoma/host/identity"
)

// The verbs of the control API's Task call.
const (
	VerbList     = "list"
	VerbShow     = "show"
	VerbClaim    = "claim"
	VerbComplete = "complete"
	VerbFail     = "fail"
	VerbDecide   = "decide"
)

// Request is the JSON request of every verb; each uses the fields it needs.
type Request struct {
	ID string `json:"id,omitempty"`
	// As names the person to act as (an admin acting for someone, or the
	// caller's own person name).
	As string `json:"as,omitempty"`
	// List filters.
	All      bool   `json:"all,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Group    string `json:"group,omitempty"`
	// Complete: values (from --output-file) and text per port (from
	// --output port=text).
	Outputs map[string]any    `json:"outputs,omitempty"`
	Text    map[string]string `json:"text,omitempty"`
	// Fail and Decide.
	Reason string `json:"reason,omitempty"`
	Answer *bool  `json:"answer,omitempty"`
}

// Handle serves one task verb for caller (as a transport's identity
// resolution found it): list and
// show answer tasks; claim, complete, fail and decide act as the caller
// (or, with Request.As, as the person named) and answer the task as it is
// afterwards.
func (s *Service) Handle(ctx context.Context, verb string, raw json.RawMessage, caller identity.Caller) (any, error) {
	var req Request
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("task %s: request is not valid JSON: %v: %w", verb, err, ErrInvalid)
		}
	}
	switch verb {
	case VerbList:
		return s.List(ctx, Filter{All: req.All, Assignee: req.Assignee, Group: req.Group})
	case VerbShow:
		return s.Show(ctx, req.ID)
	}
	a, err := s.people.ActAs(caller, req.As)
	if err != nil {
		return nil, err
	}
	switch verb {
	case VerbClaim:
		return s.Claim(ctx, req.ID, a)
	case VerbComplete:
		return s.Complete(ctx, req.ID, CompleteInput{Outputs: req.Outputs, Text: req.Text}, a)
	case VerbFail:
		return s.Fail(ctx, req.ID, req.Reason, a)
	case VerbDecide:
		if req.Answer == nil {
			return nil, fmt.Errorf("task decide: say yes or no: %w", ErrInvalid)
		}
		return s.Decide(ctx, req.ID, *req.Answer, req.Reason, a)
	}
	return nil, fmt.Errorf("task: unknown verb %q (want list, show, claim, complete, fail or decide): %w", verb, ErrInvalid)
}
