package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/store"
)

// Sentinel errors. They are the service's own; a transport translates
// them for its callers (the control API into its error codes, the inbox
// into HTTP statuses). ErrDenied matches identity.ErrDenied (a refusal to
// act as someone is the same kind of answer) and ErrConflict matches
// store.ErrConflict.
var (
	// ErrNotFound: no task has that id (or id prefix).
	ErrNotFound = errors.New("no such task")
	// ErrInvalid: a request the service refuses as malformed (a missing
	// reason, a verb that does not fit the task); nothing was recorded.
	ErrInvalid = errors.New("invalid request")
	// ErrAmbiguous: an id prefix matches several tasks.
	ErrAmbiguous error = &sentinel{"ambiguous task id", ErrInvalid}
	// ErrInvalidOutputs: a completion's outputs were refused (see
	// OutputError); nothing was recorded.
	ErrInvalidOutputs error = &sentinel{"invalid outputs", ErrInvalid}
	// ErrDenied: the caller may not act on the task, or as that person.
	ErrDenied error = &sentinel{"not allowed", identity.ErrDenied}
	// ErrConflict: someone else acted on the task first (completed it,
	// claimed it, decided it); the caller's action recorded nothing.
	ErrConflict error = &sentinel{"conflict", store.ErrConflict}
	// ErrEnded: the task has already ended (it matches ErrConflict).
	ErrEnded error = &sentinel{"task has ended", ErrConflict}
)

// sentinel is an error with its own text that also matches a more general
// error.
type sentinel struct {
	text    string
	general error
}

func (e *sentinel) Error() string { return e.text }
func (e *sentinel) Unwrap() error { return e.general }

// Options configure a Service.
type Options struct {
	Store store.EventStore
	// Blocks finds a block definition, so completions are checked against
	// the catalog rather than only against what the plugin recorded; nil
	// uses the ports the task records.
	Blocks func(id uuid.UUID, version int) (*core.WorkBlock, bool)
	Config config.Tasks
	Logger hclog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service lists tasks and acts on them. It is safe for concurrent use; it
// keeps no state besides compiled schemas: everything is read from the log.
type Service struct {
	store   store.EventStore
	blocks  func(uuid.UUID, int) (*core.WorkBlock, bool)
	people  *identity.Directory
	cfg     config.Tasks
	log     hclog.Logger
	now     func() time.Time
	schemas schemas
}

// New returns a service over opts.Store.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: opts.Store, blocks: opts.Blocks, people: identity.NewDirectory(opts.Config), cfg: opts.Config,
		log: opts.Logger, now: opts.Now}
}

// People returns the directory of people the service judges actors by;
// transports resolve their callers with it.
func (s *Service) People() *identity.Directory { return s.people }

// Filter selects tasks for List.
type Filter struct {
	// All includes ended tasks.
	All bool
	// Assignee keeps tasks held by (or assigned to) this person.
	Assignee string
	// Group keeps tasks open to this group.
	Group string
}

// List returns the tasks that match f, oldest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Task, error) {
	all, err := s.scan(ctx, !f.All)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if !f.All && t.Ended() {
			continue
		}
		if f.Assignee != "" && t.Assignee != f.Assignee {
			continue
		}
		if f.Group != "" && !slices.Contains(t.CandidateGroups, f.Group) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// scan projects every task of the store (only those of open executions
// with openOnly).
func (s *Service) scan(ctx context.Context, openOnly bool) ([]Task, error) {
	var out []Task
	blocks, err := s.store.ListExecutions(ctx, store.Filter{OpenOnly: openOnly, Kind: execution.KindBlock})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	for _, info := range blocks {
		events, err := s.store.Events(ctx, info.ID, 0)
		if err != nil {
			return nil, fmt.Errorf("list tasks: read block execution %s: %w", info.ID, err)
		}
		if t, ok := projectBlockTask(events); ok {
			out = append(out, t)
		}
	}
	flows, err := s.store.ListExecutions(ctx, store.Filter{OpenOnly: openOnly, Kind: execution.KindFlow})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	for _, info := range flows {
		events, err := s.store.Events(ctx, info.ID, 0)
		if err != nil {
			return nil, fmt.Errorf("list tasks: read flow execution %s: %w", info.ID, err)
		}
		out = append(out, projectDecisions(events, info.Terminal)...)
	}
	now := s.now()
	for i := range out {
		out[i].markOverdue(now)
	}
	slices.SortStableFunc(out, func(a, b Task) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// minPrefix is the shortest id prefix accepted.
const minPrefix = 4

// Show returns one task by id or unique id prefix.
func (s *Service) Show(ctx context.Context, id string) (Task, error) {
	return s.find(ctx, id)
}

// find resolves an id or unique prefix: a full block execution id is read
// directly; anything else is looked up among the tasks, open ones first.
func (s *Service) find(ctx context.Context, id string) (Task, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if full, err := uuid.Parse(id); err == nil {
		events, err := s.store.Events(ctx, full, 0)
		if err != nil {
			return Task{}, fmt.Errorf("task %s: %w", id, err)
		}
		if t, ok := projectBlockTask(events); ok {
			t.markOverdue(s.now())
			return t, nil
		}
	} else if len(id) < minPrefix {
		return Task{}, fmt.Errorf("%w: %q: give at least %d characters of the id", ErrNotFound, id, minPrefix)
	}
	for _, openOnly := range []bool{true, false} {
		all, err := s.scan(ctx, openOnly)
		if err != nil {
			return Task{}, err
		}
		var matches []Task
		for _, t := range all {
			if strings.HasPrefix(t.ID.String(), id) {
				matches = append(matches, t)
			}
		}
		switch len(matches) {
		case 1:
			return matches[0], nil
		case 0:
			continue
		}
		ids := make([]string, len(matches))
		for i, m := range matches {
			ids[i] = m.ID.String()
		}
		return Task{}, fmt.Errorf("%w: %q matches %s; give more of the id", ErrAmbiguous, id, strings.Join(ids, ", "))
	}
	return Task{}, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// short is the first block of an id, for messages.
func short(id uuid.UUID) string { return id.String()[:8] }

// ports returns the outputs a task's completion is checked against: the
// block definition's when the catalog has it, else what the task records.
func (s *Service) ports(ctx context.Context, t *Task) []Port {
	if t.Kind != KindBlock || s.blocks == nil {
		return t.Outputs
	}
	events, err := s.store.Events(ctx, t.ID, 0)
	if err != nil {
		return t.Outputs
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return t.Outputs
	}
	b, ok := s.blocks(created.WorkBlockID, created.WorkBlockVersion)
	if !ok {
		return t.Outputs
	}
	ports := make([]Port, len(b.Outputs))
	for i, p := range b.Outputs {
		ports[i] = Port{Name: p.Name, Description: p.Description, Required: p.Required, Schema: p.Schema}
	}
	return ports
}

// Claim makes the task the actor's: an executor_assigned event naming the
// person. Claiming a task one already holds changes nothing.
func (s *Service) Claim(ctx context.Context, id string, a Actor) (Task, error) {
	t, err := s.find(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if err := s.actable(&t, a); err != nil {
		return Task{}, err
	}
	if t.Assignee == a.Person {
		return t, nil
	}
	if t.Kind == KindDecision {
		return Task{}, fmt.Errorf("task %s is a decision: answer it with `task decide` or `task complete --output answer=true|false`: %w", short(t.ID), ErrInvalid)
	}
	x := a.Executor()
	x.Metadata["claimed"] = true
	ev, err := execution.NewEvent(t.ID, execution.EventExecutorAssigned, &x, nil)
	if err != nil {
		return Task{}, err
	}
	if err := s.appendBlock(ctx, &t, []execution.Event{ev}, "claim"); err != nil {
		return Task{}, err
	}
	s.log.Info("task claimed", "task", t.ID, "by", a.String())
	return s.find(ctx, t.ID.String())
}

// CompleteInput is what a person submits: values (JSON) and text typed per
// port (converted with Coerce). Text wins over a value for the same port.
type CompleteInput struct {
	Outputs map[string]any
	Text    map[string]string
}

// Complete validates the outputs and records the task done. A refusal
// (ErrInvalidOutputs, ErrDenied, ErrConflict) records nothing.
func (s *Service) Complete(ctx context.Context, id string, in CompleteInput, a Actor) (Task, error) {
	t, err := s.find(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if err := s.actable(&t, a); err != nil {
		return Task{}, err
	}
	ports := s.ports(ctx, &t)
	outputs := map[string]any{}
	for k, v := range in.Outputs {
		outputs[k] = v
	}
	for k, text := range in.Text {
		i := slices.IndexFunc(ports, func(p Port) bool { return p.Name == k })
		if i < 0 {
			outputs[k] = text // refused below as undeclared
			continue
		}
		outputs[k] = Coerce(ports[i], text)
	}
	if problems := s.schemas.check(ports, outputs); len(problems) > 0 {
		return Task{}, &OutputError{Task: short(t.ID), Problems: problems}
	}
	if t.Kind == KindDecision {
		answer, _ := outputs["answer"].(bool)
		reason, _ := outputs["reason"].(string)
		return s.decide(ctx, t, answer, reason, a)
	}
	x := a.Executor()
	var events []execution.Event
	if t.Assignee != a.Person {
		ev, err := execution.NewEvent(t.ID, execution.EventExecutorAssigned, &x, nil)
		if err != nil {
			return Task{}, err
		}
		events = append(events, ev)
	}
	if len(outputs) > 0 {
		ev, err := execution.NewEvent(t.ID, execution.EventOutcomeProduced, &x, execution.Outcome(outputs))
		if err != nil {
			return Task{}, err
		}
		events = append(events, ev)
	}
	done, err := execution.NewEvent(t.ID, execution.EventCompleted, &x, nil)
	if err != nil {
		return Task{}, err
	}
	if err := s.appendBlock(ctx, &t, append(events, done), "complete"); err != nil {
		return Task{}, err
	}
	s.log.Info("task completed", "task", t.ID, "by", a.String())
	return s.find(ctx, t.ID.String())
}

// Fail records that the person could not do the task; the block fails
// with reason.
func (s *Service) Fail(ctx context.Context, id, reason string, a Actor) (Task, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Task{}, fmt.Errorf("task fail: say why with a reason: %w", ErrInvalid)
	}
	t, err := s.find(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if err := s.actable(&t, a); err != nil {
		return Task{}, err
	}
	if t.Kind == KindDecision {
		return Task{}, fmt.Errorf("task %s is a decision: it cannot fail; answer yes or no: %w", short(t.ID), ErrInvalid)
	}
	x := a.Executor()
	ev, err := execution.NewEvent(t.ID, execution.EventFailed, &x, execution.Failure{
		Reason: fmt.Sprintf("%s (by %s)", reason, a.Person), Code: "failed_by_person",
	})
	if err != nil {
		return Task{}, err
	}
	if err := s.appendBlock(ctx, &t, []execution.Event{ev}, "fail"); err != nil {
		return Task{}, err
	}
	s.log.Info("task failed", "task", t.ID, "by", a.String(), "reason", reason)
	return s.find(ctx, t.ID.String())
}

// Decide answers a decision task yes (true) or no.
func (s *Service) Decide(ctx context.Context, id string, answer bool, reason string, a Actor) (Task, error) {
	t, err := s.find(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if t.Kind != KindDecision {
		return Task{}, fmt.Errorf("task %s is a block's task, not a decision: complete it with its outputs: %w", short(t.ID), ErrInvalid)
	}
	if err := s.actable(&t, a); err != nil {
		return Task{}, err
	}
	return s.decide(ctx, t, answer, reason, a)
}

func (s *Service) decide(ctx context.Context, t Task, answer bool, reason string, a Actor) (Task, error) {
	x := a.Executor()
	d := execution.ConditionDecision{
		Type: execution.ProgressConditionDecision, RequestID: t.ID, Value: answer,
		Reason: strings.TrimSpace(reason), DecidedBy: &x,
	}
	events, err := s.store.Events(ctx, t.FlowExecutionID, 0)
	if err != nil {
		return Task{}, err
	}
	for i := range events {
		var r DecisionRequest
		if events[i].DecodePayload(&r) == nil && r.Type == ProgressDecisionRequest && r.RequestID == t.ID {
			d.EdgeIndex, d.SourceExecutionID = r.EdgeIndex, r.SourceExecutionID
			break
		}
	}
	if d.Reason == "" {
		d.Reason = "decided by " + a.Person
	}
	ev, err := execution.NewEvent(t.FlowExecutionID, execution.EventProgress, &x, d)
	if err != nil {
		return Task{}, err
	}
	ev.ID = decisionEventID(t.FlowExecutionID, t.ID)
	stored, err := s.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{})
	if errors.Is(err, store.ErrFinal) {
		return Task{}, fmt.Errorf("%w: task %s: the flow ended before the decision", ErrEnded, short(t.ID))
	}
	if err != nil {
		return Task{}, fmt.Errorf("task %s: record decision: %w", short(t.ID), err)
	}
	if len(stored) == 1 && !sameJSON(stored[0].Payload, ev.Payload) {
		// The id was taken: someone decided first.
		var first execution.ConditionDecision
		_ = stored[0].DecodePayload(&first)
		return Task{}, fmt.Errorf("%w: task %s was already decided (%s) by %s", ErrConflict, short(t.ID), yesNo(first.Value), who(first.DecidedBy))
	}
	s.log.Info("decision recorded", "task", t.ID, "answer", answer, "by", a.String())
	return s.find(ctx, t.ID.String())
}

// actable checks that the task is still open and the actor may act on it.
func (s *Service) actable(t *Task, a Actor) error {
	if t.Ended() {
		return endedError(t)
	}
	return mayAct(s.people, t, a)
}

func endedError(t *Task) error {
	msg := fmt.Sprintf("task %s is %s", short(t.ID), t.State)
	if t.EndedBy != nil {
		msg += " by " + who(t.EndedBy)
	}
	if t.EndedAt != nil {
		msg += " at " + t.EndedAt.Format(time.RFC3339)
	}
	return fmt.Errorf("%w: %s", ErrEnded, msg)
}

// appendBlock appends events to a block task's log, expecting the log as
// the task was read, so a concurrent action makes exactly one of them win.
func (s *Service) appendBlock(ctx context.Context, t *Task, events []execution.Event, verb string) error {
	_, err := s.store.Append(ctx, events, store.ExpectSequence(t.Sequence))
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrFinal) {
		return fmt.Errorf("task %s: %s: %w", short(t.ID), verb, err)
	}
	now, ferr := s.find(ctx, t.ID.String())
	if ferr == nil && now.Ended() {
		return endedError(&now)
	}
	holder := "someone else"
	if ferr == nil && now.Assignee != "" {
		holder = now.Assignee
	}
	return fmt.Errorf("%w: task %s changed while you acted on it (now %s, held by %s); nothing was recorded — look at it again with `task show`",
		ErrConflict, short(t.ID), now.State, holder)
}

func who(x *execution.ExecutorInfo) string {
	if x == nil {
		return "unknown"
	}
	s := x.Identifier
	if u, ok := x.Metadata["os_user"].(string); ok && u != "" {
		s += " (OS user " + u + ")"
	}
	return s
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}
