package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// SignalName is the name the signal adapter is routed by.
const SignalName = core.HintSignal

// The progress types of signals: a signal sent, recorded on the flow
// execution; a block that waits for one; a block that took one.
const (
	ProgressSignal   = "signal"
	progressWaiting  = "waiting_for_signal"
	progressReceived = "signal_received"
)

// SignalRecord is the payload of a signal on the flow execution's log.
type SignalRecord struct {
	Type    string                  `json:"type"` // ProgressSignal
	Name    string                  `json:"name"`
	Outputs map[string]any          `json:"outputs,omitempty"`
	SentBy  *execution.ExecutorInfo `json:"sent_by,omitempty"`
}

type waitingProgress struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type receivedProgress struct {
	Type   string    `json:"type"`
	Name   string    `json:"name"`
	Signal uuid.UUID `json:"signal"` // the id of the signal's event on the flow execution
}

// Signals is the openoma.signal adapter: blocks that wait for a named
// signal to their flow execution. Signals are matched to waiting blocks in
// the order they were sent, each taken by one block.
type Signals struct {
	sdk.NoConditions
	store store.EventStore

	mu      sync.Mutex // serialises taking a signal, so two blocks never take one
	waiting map[uuid.UUID]*waiter
	wg      sync.WaitGroup
}

type waiter struct {
	flow   uuid.UUID
	name   string
	wake   chan struct{}
	cancel context.CancelFunc
}

var (
	_ sdk.Adapter    = (*Signals)(nil)
	_ sdk.Shutdowner = (*Signals)(nil)
)

// NewSignals returns the signal adapter over the host's store.
func NewSignals(s store.EventStore) *Signals {
	return &Signals{store: s, waiting: map[uuid.UUID]*waiter{}}
}

// Describe implements sdk.Adapter.
func (s *Signals) Describe(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: SignalName, Version: "builtin", Hints: []string{core.HintSignal}}, nil
}

// SignalNameOf is the signal a node waits for: its signal.name, its
// block's, else the node's alias.
func SignalNameOf(block core.WorkBlock, node core.NodeReference) (string, error) {
	for _, meta := range []core.Metadata{node.Metadata, block.Metadata} {
		sig, err := core.ParseSignal(meta, "metadata")
		if err != nil {
			return "", err
		}
		if sig != nil && sig.Name != "" {
			return sig.Name, nil
		}
	}
	if node.Alias == "" {
		return "", errors.New("a signal node needs an alias or metadata signal: {name: …}")
	}
	return node.Alias, nil
}

// ExecuteBlock records that the block waits, then waits in background.
func (s *Signals) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (uuid.UUID, error) {
	em := req.Emitter(sdk.System(SignalName))
	name, err := SignalNameOf(req.Block, req.Node)
	if err != nil {
		return req.ExecutionID, em.Fail(ctx, "bad_signal", fmt.Sprintf("%s: %v", sdk.Where(req.Block, req.Node), err))
	}
	if err := em.Begin(ctx); err != nil {
		return req.ExecutionID, err
	}
	if err := em.Progress(ctx, waitingProgress{Type: progressWaiting, Name: name}); err != nil {
		return req.ExecutionID, err
	}
	s.wait(req.ExecutionID, req.FlowExecutionID, name, req.Block)
	return req.ExecutionID, nil
}

// ResumeBlock goes on waiting after a restart; a signal taken but not yet
// recorded as the outputs is finished.
func (s *Signals) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	em, b, err := req.Emitter(ctx, sdk.System(SignalName))
	if err != nil {
		return err
	}
	if b.State.IsTerminal() {
		return nil
	}
	s.mu.Lock()
	_, here := s.waiting[req.ExecutionID]
	s.mu.Unlock()
	if here {
		return nil
	}
	name, err := SignalNameOf(req.Block, req.Node)
	if err != nil {
		return em.Fail(ctx, "bad_signal", err.Error())
	}
	if b.State == execution.StatePending {
		if err := em.Begin(ctx); err != nil {
			return err
		}
	}
	s.wait(req.ExecutionID, req.FlowExecutionID, name, req.Block)
	return nil
}

// CancelBlock stops the wait and records the cancellation.
func (s *Signals) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	s.mu.Lock()
	if w, ok := s.waiting[req.ExecutionID]; ok {
		w.cancel()
		delete(s.waiting, req.ExecutionID)
	}
	s.mu.Unlock()
	em := req.Emitter(sdk.System(SignalName))
	b, err := em.Sync(ctx)
	if err != nil {
		return err
	}
	if b.State.IsTerminal() {
		return nil
	}
	return em.Cancel(ctx, req.Reason)
}

// Shutdown stops every wait; the next start resumes them.
func (s *Signals) Shutdown(context.Context) error {
	s.mu.Lock()
	for id, w := range s.waiting {
		w.cancel()
		delete(s.waiting, id)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Notify wakes the blocks of a flow execution that wait for name (after a
// signal was recorded).
func (s *Signals) Notify(flow uuid.UUID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.waiting {
		if w.flow == flow && w.name == name {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (s *Signals) wait(id, flow uuid.UUID, name string, block core.WorkBlock) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &waiter{flow: flow, name: name, wake: make(chan struct{}, 1), cancel: cancel}
	s.mu.Lock()
	s.waiting[id] = w
	s.mu.Unlock()
	w.wake <- struct{}{} // look once at once: a signal may be there already
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			done, err := s.take(ctx, id, flow, name, block)
			if err != nil && ctx.Err() == nil {
				sdk.Logger(ctx).Warn("signal: delivering", "block_execution", id, "error", err)
			}
			if done {
				s.mu.Lock()
				delete(s.waiting, id)
				s.mu.Unlock()
				return
			}
		}
	}()
}

// take delivers the oldest signal named name that no block of the flow
// execution took yet; it reports whether the block has ended.
func (s *Signals) take(ctx context.Context, id, flow uuid.UUID, name string, block core.WorkBlock) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	em := sdk.NewEmitter(s.store, id, sdk.System(SignalName), sdk.WithBlock(block))
	b, err := em.Sync(ctx)
	if err != nil {
		return false, err
	}
	if b.State.IsTerminal() {
		return true, nil
	}
	taken, mine, err := s.taken(ctx, flow, id)
	if err != nil {
		return false, err
	}
	signals, err := s.store.Events(ctx, flow, 0)
	if err != nil {
		return false, err
	}
	for _, ev := range signals {
		rec, ok := signalOf(ev)
		if !ok || rec.Name != name || (taken[ev.ID] && ev.ID != mine) {
			continue
		}
		if ev.ID != mine {
			if err := em.Progress(ctx, receivedProgress{Type: progressReceived, Name: name, Signal: ev.ID}); err != nil {
				return false, err
			}
		}
		by := sdk.System(SignalName)
		if rec.SentBy != nil {
			by = *rec.SentBy
		}
		fin := sdk.NewEmitter(s.store, id, by, sdk.WithBlock(block), sdk.WithSequence(em.Sequence()))
		return true, fin.Finish(ctx, rec.Outputs)
	}
	return false, nil
}

// taken lists the signals the flow execution's blocks took, and the one
// block id took (a crash between taking and finishing).
func (s *Signals) taken(ctx context.Context, flow, id uuid.UUID) (map[uuid.UUID]bool, uuid.UUID, error) {
	blocks, err := s.store.ListExecutions(ctx, store.Filter{Parent: flow, Kind: execution.KindBlock})
	if err != nil {
		return nil, uuid.Nil, err
	}
	taken := map[uuid.UUID]bool{}
	var mine uuid.UUID
	for _, info := range blocks {
		evs, err := s.store.Events(ctx, info.ID, 0)
		if err != nil {
			return nil, uuid.Nil, err
		}
		for _, ev := range evs {
			var p receivedProgress
			if ev.EventType == execution.EventProgress && json.Unmarshal(ev.Payload, &p) == nil && p.Type == progressReceived {
				taken[p.Signal] = true
				if info.ID == id {
					mine = p.Signal
				}
			}
		}
	}
	return taken, mine, nil
}

func signalOf(ev execution.Event) (SignalRecord, bool) {
	if ev.EventType != execution.EventProgress {
		return SignalRecord{}, false
	}
	var rec SignalRecord
	if json.Unmarshal(ev.Payload, &rec) != nil || rec.Type != ProgressSignal {
		return SignalRecord{}, false
	}
	return rec, true
}
