package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/engine"
	"github.com/openoma/openoma/host/plugins"
	"github.com/openoma/openoma/host/tasks"
	"github.com/openoma/openoma/store"
)

var _ control.Backend = (*Host)(nil)

// Start implements control.Backend: it runs a flow or a contract, found by
// name, name@version, id or id@version.
func (h *Host) Start(ctx context.Context, ref string, inputs map[string]any) (uuid.UUID, error) {
	if err := h.mustRun("run"); err != nil {
		return uuid.Nil, err
	}
	f, ferr := h.catalog.LookupFlow(ref)
	k, kerr := h.catalog.LookupContract(ref)
	switch {
	case ferr == nil && kerr == nil:
		return uuid.Nil, fmt.Errorf("%q names both flow %s and contract %s; use an id: %w",
			ref, f.Describe(), k.Describe(), control.ErrInvalid)
	case ferr == nil:
		if err := h.preflight(f, nil, inputs); err != nil {
			return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrInvalid)
		}
		return h.engine.StartFlow(ctx, ref, inputs)
	case kerr == nil:
		if err := h.preflight(nil, k, inputs); err != nil {
			return uuid.Nil, fmt.Errorf("%w: %w", err, control.ErrInvalid)
		}
		return h.engine.StartContract(ctx, ref, inputs)
	}
	return uuid.Nil, fmt.Errorf("no flow or contract %q in the definitions%s: %w", ref, h.suggestRunnable(ref), control.ErrNotFound)
}

// suggestRunnable offers the flow or contract name closest to a reference
// that matched nothing, as " (did you mean …?)", or "".
func (h *Host) suggestRunnable(ref string) string {
	name, _, err := core.ParseRef(ref)
	if err != nil {
		return ""
	}
	var known []string
	for _, f := range h.catalog.Flows() {
		known = append(known, f.Name)
	}
	for _, k := range h.catalog.Contracts() {
		known = append(known, k.Name)
	}
	if best := closest(name, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// Report implements control.Backend.
func (h *Host) Report(ctx context.Context, id uuid.UUID) (*engine.Report, bool, error) {
	info, err := h.store.Execution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("execution %s: %w", id, control.ErrNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	rep, err := h.engine.StatusCached(ctx, id, &h.reports.blocks)
	if err != nil {
		return nil, false, err
	}
	return rep, info.Terminal, nil
}

// Wait implements control.Waiter: it returns when execution id has ended.
func (h *Host) Wait(ctx context.Context, id uuid.UUID) error {
	_, err := h.engine.Wait(ctx, id)
	return err
}

// Events implements control.Backend: the events of an execution and of
// every execution beneath it, in the order they were stored.
func (h *Host) Events(ctx context.Context, id uuid.UUID, after uint64, follow bool, send func(execution.Event) error) error {
	err := StreamTree(ctx, h.store, id, after, follow, send)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("execution %s: %w", id, control.ErrNotFound)
	}
	return err
}

// Cancel implements control.Backend.
func (h *Host) Cancel(ctx context.Context, id uuid.UUID, reason string, by control.Caller) error {
	if err := h.mustRun("cancel"); err != nil {
		return err
	}
	if _, err := h.store.Execution(ctx, id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("execution %s: %w", id, control.ErrNotFound)
	} else if err != nil {
		return err
	}
	if reason == "" {
		reason = "cancelled"
	}
	if by.Known() {
		reason = fmt.Sprintf("%s (by %s)", reason, by)
	}
	return h.engine.Cancel(ctx, id, reason)
}

// mustRun refuses to start or stop work on a host whose engine is not
// running: an embedded host opened only to read (status, events, backup)
// also serves the control socket, and work recorded there would sit
// unscheduled until some other host picked it up.
func (h *Host) mustRun(verb string) error {
	if !h.running.Load() {
		return fmt.Errorf("%s: this openoma-host only reads the data directory (it serves status, events or backup for another command); start the daemon with \"openoma-host serve\" and try again: %w", verb, control.ErrUnavailable)
	}
	return nil
}

// Plugins implements control.Backend.
func (h *Host) Plugins(context.Context) ([]plugins.Status, error) { return h.plugins.Status(), nil }

// Task implements control.Backend: list and show answer tasks; claim,
// complete, fail and decide act as the caller (or, with As, as the person
// named: admins only) and answer the task as it is afterwards.
func (h *Host) Task(ctx context.Context, req control.TaskRequest, by control.Caller) (control.TaskAnswer, error) {
	one := func(t tasks.Task, err error) (control.TaskAnswer, error) {
		if err != nil {
			return control.TaskAnswer{}, err
		}
		return control.TaskAnswer{Task: &t}, nil
	}
	switch req.Verb {
	case control.TaskList:
		list, err := h.tasks.List(ctx, tasks.Filter{All: req.All, Assignee: req.Assignee, Group: req.Group})
		return control.TaskAnswer{Tasks: list}, err
	case control.TaskShow:
		return one(h.tasks.Show(ctx, req.ID))
	}
	a, err := h.tasks.People().ActAs(by, req.As)
	if err != nil {
		return control.TaskAnswer{}, err
	}
	switch req.Verb {
	case control.TaskClaim:
		return one(h.tasks.Claim(ctx, req.ID, a))
	case control.TaskComplete:
		return one(h.tasks.Complete(ctx, req.ID, tasks.CompleteInput{Outputs: req.Outputs, Text: req.Text}, a))
	case control.TaskFail:
		return one(h.tasks.Fail(ctx, req.ID, req.Reason, a))
	case control.TaskDecide:
		if req.Answer == nil {
			return control.TaskAnswer{}, fmt.Errorf("task decide: say yes or no: %w", control.ErrInvalid)
		}
		return one(h.tasks.Decide(ctx, req.ID, *req.Answer, req.Reason, a))
	}
	return control.TaskAnswer{}, fmt.Errorf("task: unknown verb %q (want list, show, claim, complete, fail or decide): %w", req.Verb, control.ErrInvalid)
}

// Tasks returns the service for people's tasks.
func (h *Host) Tasks() *tasks.Service { return h.tasks }
