package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// grants records which executions the host has given one plugin, so that
// the store the host brokers to that plugin refuses writes anywhere else
// (ErrNotGranted). The check runs on the host's side of the wire: a buggy
// or hostile plugin cannot skip it.
//
//   - A block execution is granted by ExecuteBlock, ResumeBlock and
//     CancelBlock, and released once an event of the plugin's ends it.
//   - A flow execution is never granted as a whole: EvaluateCondition
//     grants one condition_decision progress event carrying its request id,
//     released when the decision is recorded (or when the call answers
//     without deferring it).
type grants struct {
	mu        sync.Mutex
	blocks    map[uuid.UUID]int       // execution → calls holding it
	decisions map[uuid.UUID]uuid.UUID // request id → flow execution
}

func newGrants() *grants {
	return &grants{blocks: map[uuid.UUID]int{}, decisions: map[uuid.UUID]uuid.UUID{}}
}

func (g *grants) grantBlock(id uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocks[id]++
}

func (g *grants) grantDecision(requestID, flowExecutionID uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.decisions[requestID] = flowExecutionID
}

func (g *grants) releaseDecision(requestID uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.decisions, requestID)
}

// check decides whether a plugin may append events (all of one execution,
// as the store requires). A block grant allows any event; a flow execution
// accepts only condition decisions that were asked for.
func (g *grants) check(events []execution.Event) error {
	if len(events) == 0 {
		return nil
	}
	id := events[0].ExecutionID
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocks[id] > 0 {
		return nil
	}
	for i := range events {
		reqID, ok := decisionRequest(&events[i])
		if !ok || g.decisions[reqID] != id {
			return fmt.Errorf("%w: append of %s to execution %s", ErrNotGranted, events[i].EventType, id)
		}
	}
	return nil
}

// settle updates the grants after a successful append: a block grant ends
// with the terminal event, a decision grant with its decision.
func (g *grants) settle(stored []execution.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range stored {
		ev := &stored[i]
		if ev.EventType.IsTerminal() {
			delete(g.blocks, ev.ExecutionID)
		}
		if reqID, ok := decisionRequest(ev); ok && g.decisions[reqID] == ev.ExecutionID {
			delete(g.decisions, reqID)
		}
	}
}

// refusal explains a refused append. An execution that has ended is
// reported as final (store.ErrFinal), which is what a plugin racing a
// cancel needs to hear; anything else was simply never given.
func refusal(ctx context.Context, s store.EventStore, events []execution.Event, notGranted error) error {
	info, err := s.Execution(ctx, events[0].ExecutionID)
	if err == nil && info.Terminal {
		return fmt.Errorf("%w: execution %s: cannot append %s after its terminal event", store.ErrFinal, info.ID, events[0].EventType)
	}
	return notGranted
}

// decisionRequest returns the request id of a condition_decision progress
// event.
func decisionRequest(ev *execution.Event) (uuid.UUID, bool) {
	if ev.EventType != execution.EventProgress {
		return uuid.Nil, false
	}
	var d execution.ConditionDecision
	if err := ev.DecodePayload(&d); err != nil || d.Type != execution.ProgressConditionDecision || d.RequestID == uuid.Nil {
		return uuid.Nil, false
	}
	return d.RequestID, true
}

// releaseBlock undoes one grantBlock, for a call that failed.
func (g *grants) releaseBlock(id uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocks[id] <= 1 {
		delete(g.blocks, id)
		return
	}
	g.blocks[id]--
}

// forgetBlock drops a block grant entirely, for an execution that ended.
func (g *grants) forgetBlock(id uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.blocks, id)
}
