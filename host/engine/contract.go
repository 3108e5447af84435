package engine

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/engine/decide"
)

// contractLog is what a contract execution's own log says.
type contractLog struct {
	created execution.Created
	started bool
	ended   bool
	cancel  *CancelRequest
	records map[int]AssessmentRecord // by binding index
	// claimed maps a work flow's or sub-contract's derived id to the
	// execution the contract claimed for it (a rerun, run --claim).
	claimed map[uuid.UUID]uuid.UUID
	// rerunOf maps such an id to the execution its child reruns.
	rerunOf map[uuid.UUID]uuid.UUID
}

func readContractLog(events []execution.Event) (contractLog, error) {
	c := contractLog{records: map[int]AssessmentRecord{}, claimed: map[uuid.UUID]uuid.UUID{}, rerunOf: map[uuid.UUID]uuid.UUID{}}
	var err error
	if c.created, err = execution.CreatedOf(events); err != nil {
		return c, err
	}
	for _, cl := range execution.ExecutionClaimsOf(events) {
		slot := decide.ClaimSlot(events[0].ExecutionID, cl)
		m := c.claimed
		if cl.Rerun {
			m = c.rerunOf
		}
		if _, seen := m[slot]; !seen {
			m[slot] = cl.ExecutionID
		}
	}
	for i := range events {
		ev := &events[i]
		switch {
		case ev.EventType == execution.EventStarted:
			c.started = true
		case ev.EventType.IsTerminal():
			c.ended = true
		case ev.EventType == execution.EventProgress:
			var kind struct {
				Type string `json:"type"`
			}
			_ = ev.DecodePayload(&kind)
			switch kind.Type {
			case ProgressCancelRequested:
				var r CancelRequest
				if ev.DecodePayload(&r) == nil && c.cancel == nil {
					c.cancel = &r
				}
			case ProgressAssessmentResult:
				var r AssessmentRecord
				if ev.DecodePayload(&r) == nil {
					if _, seen := c.records[r.BindingIndex]; !seen {
						c.records[r.BindingIndex] = r
					}
				}
			}
		}
	}
	return c, nil
}

// reconcileContract is the idempotent step of a contract execution: read
// its log and its children's, let decide.Contract say what must happen,
// and do it.
func (e *Engine) reconcileContract(ctx context.Context, id uuid.UUID) error {
	events, err := e.store.Events(ctx, id, 0)
	if err != nil || len(events) == 0 {
		return err
	}
	cl, err := readContractLog(events)
	if err != nil || cl.ended {
		return err
	}
	k, ok := e.catalog.Contract(cl.created.ContractID, cl.created.ContractVersion)
	if !ok {
		return e.endExecution(ctx, id, execution.StateFailed, Ended{
			Reason: fmt.Sprintf("contract %s v%d is not in the catalog", cl.created.ContractID, cl.created.ContractVersion),
			Code:   CodeDefinitionMissing,
		})
	}
	v := &decide.ContractView{
		ID: id, Inputs: cl.created.Inputs, Started: cl.started, Cancel: cl.cancel, Records: cl.records,
		Children: map[uuid.UUID]decide.Child{}, Claimed: cl.claimed, RerunOf: cl.rerunOf,
	}
	if err := e.readChildren(ctx, v, k); err != nil {
		return err
	}
	return e.performContract(ctx, id, decide.Contract(e.catalog, k, v))
}

// readChildren reads the state of every child execution the contract may
// have: their ids follow from the contract's, so no listing is needed.
func (e *Engine) readChildren(ctx context.Context, v *decide.ContractView, k *core.Contract) error {
	var ids []uuid.UUID
	for i := range k.WorkFlows {
		ids = append(ids, workFlowExecutionID(v.ID, i))
	}
	for i := range k.SubContracts {
		ids = append(ids, subContractExecutionID(v.ID, i))
	}
	for j, b := range k.AssessmentBindings {
		for t := range b.TestFlowRefs {
			ids = append(ids, testFlowExecutionID(v.ID, j, t))
		}
		ids = append(ids, assessmentFlowExecutionID(v.ID, j))
	}
	for _, cid := range ids {
		read := cid
		if claimed, ok := v.Claimed[cid]; ok {
			read = claimed // its state counts for the slot (§5.5)
		}
		c, exists, err := e.readChild(ctx, read)
		if err != nil {
			return err
		}
		if exists {
			v.Children[cid] = c
		}
	}
	return nil
}

// readChild returns a child's state read from its log: the state its
// terminal event records (which the engine wrote from the derivation when
// it ended), else in_progress once started, else pending.
func (e *Engine) readChild(ctx context.Context, cid uuid.UUID) (decide.Child, bool, error) {
	c := decide.Child{State: execution.StatePending}
	events, err := e.store.Events(ctx, cid, 0)
	if err != nil {
		return c, false, fmt.Errorf("reading child execution %s: %w", cid, err)
	}
	if len(events) == 0 {
		return c, false, nil
	}
	for i := range events {
		switch t := events[i].EventType; {
		case t == execution.EventStarted && c.State == execution.StatePending:
			c.State = execution.StateInProgress
		case t.IsTerminal():
			c.State = execution.StateOf(t)
			_ = events[i].DecodePayload(&c.Ended)
			return c, true, nil
		}
	}
	return c, true, nil
}

// performContract carries out a contract decision's actions.
func (e *Engine) performContract(ctx context.Context, id uuid.UUID, actions []decide.Action) error {
	for _, a := range actions {
		var err error
		switch a := a.(type) {
		case decide.RecordStart:
			_, err = e.appendEvents(ctx, e.hostEvent(id, "started", execution.EventStarted, nil))
		case decide.CreateChild:
			e.remember(a.ID, execMeta{kind: a.Created.Kind, parent: id})
			events := []execution.Event{e.hostEvent(a.ID, "created", execution.EventCreated, a.Created)}
			if a.Created.RerunOf != uuid.Nil {
				// A child of a contract's rerun that reruns the old child:
				// its claims go with its created event, as Rerun's do.
				first, err := e.childRerunEvents(ctx, a.ID, a.Created)
				if err != nil {
					return fmt.Errorf("creating %s: %w", a.Label, err)
				}
				events = append(events, first...)
			}
			if _, err = e.appendEvents(ctx, events...); err != nil {
				return fmt.Errorf("creating %s: %w", a.Label, err)
			}
			e.queue.Add(a.ID)
		case decide.RecordAssessment:
			_, err = e.appendEvents(ctx, e.hostEvent(id, fmt.Sprintf("assessment/%d", a.Record.BindingIndex), execution.EventProgress, a.Record))
		case decide.CancelChild:
			err = e.requestCancel(ctx, a.ID, a.Reason)
		case decide.Finish:
			err = e.endExecution(ctx, id, a.State, a.Payload)
		}
		if err != nil {
			return ignoreFinal(err)
		}
	}
	return nil
}

// requestCancel records a cancel request on a flow or contract execution;
// the execution's own reconcile then does the cancelling.
func (e *Engine) requestCancel(ctx context.Context, id uuid.UUID, reason string) error {
	ev := e.hostEvent(id, "cancel", execution.EventProgress, CancelRequest{Type: ProgressCancelRequested, Reason: reason})
	_, err := e.appendEvents(ctx, ev)
	return ignoreFinal(err)
}

// endExecution appends the terminal event of a flow or contract execution.
func (e *Engine) endExecution(ctx context.Context, id uuid.UUID, state execution.State, payload Ended) error {
	t := map[execution.State]execution.EventType{
		execution.StateCompleted: execution.EventCompleted,
		execution.StateFailed:    execution.EventFailed,
		execution.StateCancelled: execution.EventCancelled,
	}[state]
	if t == "" {
		return fmt.Errorf("execution %s: state %q cannot end it", id, state)
	}
	_, err := e.appendEvents(ctx, e.hostEvent(id, "terminal", t, payload))
	return ignoreFinal(err)
}

func ignoreFinal(err error) error {
	if isFinal(err) {
		return nil
	}
	return err
}
