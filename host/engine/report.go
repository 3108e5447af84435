package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Report is the status of an execution, read from the store: what `status`
// shows and `run --json` prints. For a contract, State is the work side's
// state (§3.5) and the assessments' verdicts are reported apart from it:
// work can be completed while its outcomes are not met.
type Report struct {
	ExecutionID uuid.UUID       `json:"execution_id"`
	Kind        execution.Kind  `json:"kind"`
	Name        string          `json:"name"`
	Version     int             `json:"version"`
	Role        execution.Role  `json:"role,omitempty"`
	State       execution.State `json:"state"`
	Reason      string          `json:"reason,omitempty"`
	Inputs      map[string]any  `json:"inputs,omitempty"`
	// Outputs of a flow: terminal node alias → output port → value (those
	// completed so far while it runs).
	Outputs   map[string]map[string]any `json:"outputs"`
	CreatedAt time.Time                 `json:"created_at"`
	EndedAt   *time.Time                `json:"ended_at,omitempty"`
	// Progress of a flow: nodes whose latest attempt ended, of all nodes.
	Progress *Progress `json:"progress,omitempty"`
	// Blocks of a flow: every block execution — each iteration, each
	// for_each item, each attempt — in node order, then in that order.
	Blocks []BlockReport `json:"blocks,omitempty"`
	// RerunOf is the execution this one reruns.
	RerunOf uuid.UUID `json:"rerun_of,omitzero"`
	// Claimed marks a work flow or sub-contract of a contract that the
	// contract counted (a rerun's, run --claim) instead of creating it.
	Claimed bool `json:"claimed,omitempty"`

	// WorkState of a contract: the same as State, named for what it means.
	WorkState execution.State `json:"work_state,omitempty"`
	// OutcomesMet of a contract: true when every assessment's verdict says
	// met, false when one says not met or produced none, absent while
	// unknown.
	OutcomesMet  *bool              `json:"outcomes_met,omitempty"`
	Flows        []*Report          `json:"flows,omitempty"`
	SubContracts []*Report          `json:"sub_contracts,omitempty"`
	Assessments  []AssessmentReport `json:"assessments,omitempty"`
}

// Progress counts a flow's nodes.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// BlockReport is one block execution.
type BlockReport struct {
	ExecutionID  uuid.UUID       `json:"execution_id"`
	NodeID       uuid.UUID       `json:"node_id"`
	Alias        string          `json:"alias"`
	Block        string          `json:"block"`
	BlockVersion int             `json:"block_version"`
	State        execution.State `json:"state"`
	// Iteration numbers the node's runs in a loop, from 1.
	Iteration int `json:"iteration"`
	// Index is the for_each item the block execution ran, from 0; absent
	// for a node without for_each.
	Index       *int                    `json:"index,omitempty"`
	Attempt     int                     `json:"attempt"`
	Plugin      string                  `json:"plugin,omitempty"`
	Executor    *execution.ExecutorInfo `json:"executor,omitempty"`
	CreatedAt   time.Time               `json:"created_at"`
	StartedAt   *time.Time              `json:"started_at,omitempty"`
	EndedAt     *time.Time              `json:"ended_at,omitempty"`
	Reason      string                  `json:"reason,omitempty"`
	Outputs     map[string]any          `json:"outputs,omitempty"`
	TriggeredBy []uuid.UUID             `json:"triggered_by,omitempty"`
	// SharedFrom is the flow execution that created a block execution this
	// one claimed (a rerun took it over instead of running it again).
	SharedFrom uuid.UUID `json:"shared_from,omitzero"`

	// raw is the block's encoding, kept with it by a BlockCache once it
	// ended; nothing may change a BlockReport that has one.
	raw json.RawMessage
}

// MarshalJSON encodes b, or returns the encoding a BlockCache kept.
func (b BlockReport) MarshalJSON() ([]byte, error) {
	if b.raw != nil {
		return b.raw, nil
	}
	return json.Marshal(plainBlockReport(b))
}

// plainBlockReport is BlockReport without its MarshalJSON.
type plainBlockReport BlockReport

// EncodeJSON is json.Marshal(r), except that the blocks of a flow report
// come last and their kept encodings are spliced in as they are:
// json.Marshal re-validates every MarshalJSON result, which for a
// 1,000-block flow costs more than building its report from a BlockCache.
func (r *Report) EncodeJSON() ([]byte, error) {
	if len(r.Blocks) == 0 || len(r.Flows) > 0 || len(r.SubContracts) > 0 || len(r.Assessments) > 0 {
		return json.Marshal(r)
	}
	head := *r
	head.Blocks = nil
	out, err := json.Marshal(&head)
	if err != nil {
		return nil, err
	}
	size := len(out) + 16
	for i := range r.Blocks {
		size += len(r.Blocks[i].raw) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, out[:len(out)-1]...) // without the closing brace
	buf = append(buf, `,"blocks":[`...)
	for i := range r.Blocks {
		if i > 0 {
			buf = append(buf, ',')
		}
		raw := r.Blocks[i].raw
		if raw == nil {
			if raw, err = json.Marshal(plainBlockReport(r.Blocks[i])); err != nil {
				return nil, err
			}
		}
		buf = append(buf, raw...)
	}
	return append(buf, "]}"...), nil
}

// AssessmentReport is one assessment binding of a contract execution.
type AssessmentReport struct {
	RequiredOutcomeID uuid.UUID `json:"required_outcome_id"`
	Outcome           string    `json:"outcome"`
	// State is the assessment flow's state: pending before it runs,
	// skipped when a test flow failed and it could not.
	State  execution.State `json:"state"`
	Result any             `json:"result"`
	// Met is read from the verdict when it says so (see Verdict).
	Met            *bool     `json:"met,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	AssessmentFlow *Report   `json:"assessment_flow,omitempty"`
	TestFlows      []*Report `json:"test_flows,omitempty"`
}

// Status reports an execution (a flow, contract or block execution's flow)
// from the store.
func (e *Engine) Status(ctx context.Context, id uuid.UUID) (*Report, error) {
	return e.StatusCached(ctx, id, nil)
}

// StatusCached is Status with the ended block executions' reports taken
// from c when their logs have not moved since (nil: no cache).
func (e *Engine) StatusCached(ctx context.Context, id uuid.UUID, c *BlockCache) (*Report, error) {
	info, err := e.store.Execution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", id, err)
	}
	switch info.Kind {
	case execution.KindFlow:
		return e.flowReport(ctx, id, c)
	case execution.KindContract:
		return e.contractReport(ctx, id, c)
	case execution.KindBlock:
		return e.flowReport(ctx, info.Parent, c)
	}
	return nil, fmt.Errorf("status of %s: %w: not an openoma execution", id, store.ErrInvalid)
}

// ended returns the terminal event of a log, if any.
func ended(events []execution.Event) (execution.Event, bool) {
	for _, ev := range events {
		if ev.EventType.IsTerminal() {
			return ev, true
		}
	}
	return execution.Event{}, false
}

func (e *Engine) flowReport(ctx context.Context, id uuid.UUID, cache *BlockCache) (*Report, error) {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	created, err := execution.CreatedOf(events)
	if err != nil {
		return nil, err
	}
	r := &Report{
		ExecutionID: id, Kind: execution.KindFlow, Role: created.Role, Version: created.FlowVersion,
		Inputs: created.Inputs, CreatedAt: events[0].Timestamp, Outputs: map[string]map[string]any{},
		State: execution.StatePending, RerunOf: created.RerunOf,
	}
	end, isEnded := ended(events)
	var payload Ended
	if isEnded {
		_ = end.DecodePayload(&payload)
		r.State, r.Reason, r.EndedAt = execution.StateOf(end.EventType), payload.Reason, timePtr(end.Timestamp)
	}
	plan, planErr := e.planByRef(created.FlowID, created.FlowVersion)
	if plan == nil {
		r.Name = created.FlowID.String()
		if !isEnded {
			r.Reason = planErr.Error()
		}
		return r, nil
	}
	r.Name = plan.flow.Name
	children, err := e.store.ListExecutions(ctx, store.Filter{Parent: id, Kind: execution.KindBlock})
	if err != nil {
		return nil, err
	}
	latest := map[int]*BlockReport{}
	var projections []execution.BlockExecution
	keep := func(br *BlockReport, proj execution.BlockExecution, node int) {
		r.Blocks = append(r.Blocks, *br)
		projections = append(projections, proj)
		if cur := latest[node]; cur == nil || laterRun(br, cur) {
			latest[node] = br
		}
	}
	add := func(bid, sharedFrom uuid.UUID) error {
		br, proj, node, err := e.blockReport(ctx, plan, bid)
		if err != nil || br == nil {
			return err
		}
		br.SharedFrom = sharedFrom
		if sharedFrom == uuid.Nil && proj.State.IsTerminal() {
			cache.put(br, proj, node) // claimed blocks are reported per claimant: not kept
		}
		keep(br, proj, node)
		return nil
	}
	for _, c := range children {
		if br, proj, node, ok := cache.get(c.ID, c.LastSequence); ok {
			keep(br, proj, node)
			continue
		}
		if err := add(c.ID, uuid.Nil); err != nil {
			return nil, err
		}
	}
	// Claimed block executions (a rerun's) count like its own (§5.5).
	for _, c := range execution.ClaimsOf(events) {
		for _, bid := range c.BlockExecutionIDs {
			if err := add(bid, c.FlowExecutionID); err != nil {
				return nil, err
			}
		}
	}
	order := map[uuid.UUID]int{}
	for i, n := range plan.flow.Nodes {
		order[n.ID] = i
	}
	slices.SortStableFunc(r.Blocks, func(a, b BlockReport) int {
		if d := order[a.NodeID] - order[b.NodeID]; d != 0 {
			return d
		}
		if d := a.Iteration - b.Iteration; d != 0 {
			return d
		}
		if d := indexOf(&a) - indexOf(&b); d != 0 {
			return d
		}
		return a.Attempt - b.Attempt
	})
	r.Progress = &Progress{Total: len(plan.flow.Nodes)}
	for _, b := range latest {
		if b.State.IsTerminal() {
			r.Progress.Done++
		}
	}
	if isEnded {
		if payload.Outputs != nil {
			r.Outputs = payload.Outputs
		}
		return r, nil
	}
	for _, t := range plan.terminals {
		if b := latest[t]; b != nil && b.State == execution.StateCompleted && b.Index == nil {
			r.Outputs[plan.keys[t]] = b.Outputs
		}
	}
	// Not ended yet: the derivation says where it stands, except that a
	// terminal state it reaches is only final once recorded (a retry may be
	// waiting, a cancellation being confirmed).
	r.State = execution.DeriveFlowState(plan.flow, projections)
	if r.State.IsTerminal() {
		r.State = execution.StateInProgress
	}
	return r, nil
}

func (e *Engine) blockReport(ctx context.Context, plan *flowPlan, id uuid.UUID) (*BlockReport, execution.BlockExecution, int, error) {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return nil, execution.BlockExecution{}, 0, err
	}
	// The created payload (inputs and all) is decoded once: this is
	// execution.ProjectBlock, which would decode it a second time.
	created, err := execution.CreatedOf(events)
	if err != nil {
		return nil, execution.BlockExecution{}, 0, err
	}
	if created.Kind != execution.KindBlock {
		return nil, execution.BlockExecution{}, 0, fmt.Errorf("execution %s is a %s execution, not a block execution", id, created.Kind)
	}
	proj := execution.BlockExecution{
		ID: id, NodeReferenceID: created.NodeReferenceID, WorkBlockID: created.WorkBlockID,
		WorkBlockVersion: created.WorkBlockVersion, State: execution.DeriveBlockState(events), Events: events,
	}
	node, ok := plan.nodeIndex[proj.NodeReferenceID]
	if !ok {
		return nil, proj, 0, nil
	}
	br := &BlockReport{
		ExecutionID: id, NodeID: proj.NodeReferenceID, Alias: plan.keys[node],
		Block: plan.blocks[node].Name, BlockVersion: proj.WorkBlockVersion,
		State: proj.State, Iteration: max(created.Iteration, 1), Index: created.Index, Attempt: max(created.Attempt, 1), Executor: lastExecutor(events),
		CreatedAt: events[0].Timestamp, Reason: proj.FailureReason(), TriggeredBy: created.TriggeredBy,
	}
	br.Plugin, _ = events[0].Metadata[MetadataPlugin].(string)
	if t := proj.StartedAt(); !t.IsZero() {
		br.StartedAt = timePtr(t)
	}
	if t := proj.EndedAt(); !t.IsZero() {
		br.EndedAt = timePtr(t)
	}
	if out := proj.Outputs(); len(out) > 0 {
		br.Outputs = out
	}
	return br, proj, node, nil
}

// laterRun reports whether a is a later run of its node than b: a later
// iteration, else a later attempt (items of one iteration are alike).
func laterRun(a, b *BlockReport) bool {
	if a.Iteration != b.Iteration {
		return a.Iteration > b.Iteration
	}
	return a.Attempt >= b.Attempt
}

func indexOf(b *BlockReport) int {
	if b.Index == nil {
		return -1
	}
	return *b.Index
}

// lastExecutor returns the executor last assigned to a block, released or
// not: who did (or is doing) the work.
func lastExecutor(events []execution.Event) *execution.ExecutorInfo {
	var x *execution.ExecutorInfo
	for i := range events {
		if events[i].EventType == execution.EventExecutorAssigned {
			x = events[i].Executor
		}
	}
	return x
}

func timePtr(t time.Time) *time.Time { return &t }

func (e *Engine) contractReport(ctx context.Context, id uuid.UUID, c *BlockCache) (*Report, error) {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	cl, err := readContractLog(events)
	if err != nil {
		return nil, err
	}
	r := &Report{
		ExecutionID: id, Kind: execution.KindContract, Version: cl.created.ContractVersion,
		Inputs: cl.created.Inputs, CreatedAt: events[0].Timestamp, Outputs: map[string]map[string]any{},
		RerunOf: cl.created.RerunOf,
	}
	k, ok := e.catalog.Contract(cl.created.ContractID, cl.created.ContractVersion)
	if !ok {
		r.Name = cl.created.ContractID.String()
	} else {
		r.Name = k.Name
	}
	var flowStates, subStates []execution.State
	if k != nil {
		// A claimed child (§5.5) is reported as the execution it is.
		child := func(slot uuid.UUID) (*Report, error) {
			cid, claimed := cl.claimed[slot]
			if !claimed {
				return e.childReport(ctx, slot, c)
			}
			r, err := e.childReport(ctx, cid, c)
			if r != nil {
				cp := *r // the report may be shared with other readers
				cp.Claimed = true
				r = &cp
			}
			return r, err
		}
		for i := range k.WorkFlows {
			fr, err := child(workFlowExecutionID(id, i))
			if err != nil {
				return nil, err
			}
			if fr != nil {
				r.Flows = append(r.Flows, fr)
				flowStates = append(flowStates, fr.State)
			} else {
				flowStates = append(flowStates, execution.StatePending)
			}
		}
		for i := range k.SubContracts {
			sr, err := child(subContractExecutionID(id, i))
			if err != nil {
				return nil, err
			}
			if sr != nil {
				r.SubContracts = append(r.SubContracts, sr)
				subStates = append(subStates, sr.State)
			} else {
				subStates = append(subStates, execution.StatePending)
			}
		}
		if r.Assessments, err = e.assessmentReports(ctx, id, &cl, k.AssessmentBindings, k.RequiredOutcomes, c); err != nil {
			return nil, err
		}
	}
	r.State = execution.DeriveContractState(flowStates, subStates)
	if end, ok := ended(events); ok {
		var payload Ended
		_ = end.DecodePayload(&payload)
		r.State, r.Reason, r.EndedAt = execution.StateOf(end.EventType), payload.Reason, timePtr(end.Timestamp)
	} else if r.State.IsTerminal() {
		r.State = execution.StateInProgress // assessments still running
	}
	r.WorkState = r.State
	r.OutcomesMet = outcomesMet(r.Assessments)
	return r, nil
}

// childReport reports a child execution, or nil when it was never created.
func (e *Engine) childReport(ctx context.Context, id uuid.UUID, c *BlockCache) (*Report, error) {
	r, err := e.StatusCached(ctx, id, c)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

func (e *Engine) assessmentReports(ctx context.Context, id uuid.UUID, cl *contractLog, bindings []core.AssessmentBinding, outcomes []core.RequiredOutcome, c *BlockCache) ([]AssessmentReport, error) {
	var out []AssessmentReport
	for j, b := range bindings {
		ar := AssessmentReport{RequiredOutcomeID: b.RequiredOutcomeID, State: execution.StatePending}
		for _, o := range outcomes {
			if o.ID == b.RequiredOutcomeID {
				ar.Outcome = o.Name
			}
		}
		for t := range b.TestFlowRefs {
			tr, err := e.childReport(ctx, testFlowExecutionID(id, j, t), c)
			if err != nil {
				return nil, err
			}
			if tr != nil {
				ar.TestFlows = append(ar.TestFlows, tr)
			}
		}
		af, err := e.childReport(ctx, assessmentFlowExecutionID(id, j), c)
		if err != nil {
			return nil, err
		}
		ar.AssessmentFlow = af
		if af != nil {
			ar.State = af.State
		}
		if rec, ok := cl.records[j]; ok {
			ar.State, ar.Result, ar.Reason = rec.State, rec.Result, rec.Reason
			ar.Met = Verdict(rec.Result)
			if rec.State != execution.StateCompleted {
				notMet := false
				ar.Met = &notMet
			}
		}
		out = append(out, ar)
	}
	return out, nil
}

// Verdict reads whether an assessment result says its outcome is met: an
// object with a boolean "met" or "passed", or a "verdict" (or "status")
// of pass/passed/met/approved/ok/success versus
// fail/failed/not_met/rejected. Any other result gives nil: the verdict is
// opaque (§5.6) and only a person can read it.
func Verdict(result any) *bool {
	m, ok := result.(map[string]any)
	if !ok {
		return nil
	}
	for _, k := range []string{"met", "passed"} {
		if b, ok := m[k].(bool); ok {
			return &b
		}
	}
	for _, k := range []string{"verdict", "status"} {
		s, _ := m[k].(string)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "pass", "passed", "met", "approved", "ok", "success":
			t := true
			return &t
		case "fail", "failed", "not_met", "not met", "rejected":
			f := false
			return &f
		}
	}
	return nil
}

func outcomesMet(as []AssessmentReport) *bool {
	if len(as) == 0 {
		return nil
	}
	all := true
	for _, a := range as {
		switch {
		case a.Met == nil:
			all = false
		case !*a.Met:
			f := false
			return &f
		}
	}
	if !all {
		return nil
	}
	t := true
	return &t
}

// blockCacheBytes bounds a BlockCache whose Limit is 0.
const blockCacheBytes = 16 << 20

// BlockCache keeps the reports of ended block executions, keyed by id and
// the sequence of their latest event, so the report of a running flow
// reads, projects and encodes only the blocks that are still moving: most
// of a big flow's ≈ 50 µs per block per report. An ended block's log only
// grows by administrative events, which change the sequence and so miss.
// The zero value is ready; a nil *BlockCache keeps nothing. Oldest out.
type BlockCache struct {
	// Limit bounds the bytes kept (events' payloads and the encoded
	// reports, roughly); 0 means 16 MiB.
	Limit int

	mu    sync.Mutex
	m     map[uuid.UUID]*cachedBlock
	order []uuid.UUID
	size  int
}

type cachedBlock struct {
	seq  uint64
	br   BlockReport
	proj execution.BlockExecution
	node int
	size int
}

func (c *BlockCache) get(id uuid.UUID, seq uint64) (*BlockReport, execution.BlockExecution, int, bool) {
	if c == nil {
		return nil, execution.BlockExecution{}, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[id]
	if !ok || b.seq != seq {
		return nil, execution.BlockExecution{}, 0, false
	}
	br := b.br
	return &br, b.proj, b.node, true
}

// put keeps an ended block's report, with its encoding (set on br too).
func (c *BlockCache) put(br *BlockReport, proj execution.BlockExecution, node int) {
	if c == nil || len(proj.Events) == 0 {
		return
	}
	raw, err := json.Marshal(plainBlockReport(*br))
	if err != nil {
		return // reported when the whole report is encoded
	}
	br.raw = raw
	size := len(raw)
	for i := range proj.Events {
		size += len(proj.Events[i].Payload) + 256
	}
	limit := c.Limit
	if limit <= 0 {
		limit = blockCacheBytes
	}
	if size > limit/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[uuid.UUID]*cachedBlock{}
	}
	if old, ok := c.m[br.ExecutionID]; ok {
		c.size -= old.size
		delete(c.m, br.ExecutionID) // its old place in order is skipped when reached
	}
	for c.size+size > limit && len(c.order) > 0 {
		id := c.order[0]
		c.order = c.order[1:]
		if old, ok := c.m[id]; ok {
			c.size -= old.size
			delete(c.m, id)
		}
	}
	c.m[br.ExecutionID] = &cachedBlock{seq: proj.Events[len(proj.Events)-1].Sequence, br: *br, proj: proj, node: node, size: size}
	c.order = append(c.order, br.ExecutionID)
	c.size += size
}
