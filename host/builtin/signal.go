package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

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
	log   hclog.Logger

	mu       sync.Mutex // serialises taking a signal, so two blocks never take one
	waiting  map[uuid.UUID]*waiter
	stopped  bool // after Shutdown: no new waits
	wg       sync.WaitGroup
	ports    sdk.Ports
	retryGap time.Duration
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
func NewSignals(s store.EventStore, log hclog.Logger) *Signals {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Signals{store: s, log: log, waiting: map[uuid.UUID]*waiter{}, retryGap: time.Second}
}

// Fits reports whether outputs may complete block: every required output
// given, none undeclared, each matching its port's schema.
func (s *Signals) Fits(block core.WorkBlock, outputs map[string]any) error {
	if err := s.ports.CheckOutputs(block, outputs, "signal"); err != nil {
		return err
	}
	var missing []string
	for _, p := range block.Outputs {
		if _, ok := outputs[p.Name]; p.Required && !ok {
			missing = append(missing, fmt.Sprintf("%q", p.Name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: required output %s not given", block.Describe(), strings.Join(missing, ", "))
	}
	return nil
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
	name, err := SignalNameOf(req.Block, req.Node)
	if err != nil {
		return em.Fail(ctx, "bad_signal", fmt.Sprintf("%s: %v", sdk.Where(req.Block, req.Node), err))
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
	s.stopped = true
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

// wait starts waiting for the block in background, unless it waits here
// already (a resume racing an execute) or the adapter shut down.
func (s *Signals) wait(id, flow uuid.UUID, name string, block core.WorkBlock) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &waiter{flow: flow, name: name, wake: make(chan struct{}, 1), cancel: cancel}
	s.mu.Lock()
	if _, here := s.waiting[id]; here || s.stopped {
		s.mu.Unlock()
		cancel()
		return
	}
	s.waiting[id] = w
	s.wg.Add(1)
	s.mu.Unlock()
	w.wake <- struct{}{} // look once at once: a signal may be there already
	go func() {
		defer s.wg.Done()
		defer cancel()
		retry := time.NewTimer(time.Hour)
		retry.Stop()
		defer retry.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			case <-retry.C:
			}
			done, err := s.take(ctx, id, flow, name, block)
			if err != nil && ctx.Err() == nil {
				// A store error, say: the signal stays where it is; look again.
				s.log.Warn("signal: delivering", "block_execution", id, "signal", name, "error", err)
				retry.Reset(s.retryGap)
			}
			if done {
				s.mu.Lock()
				if s.waiting[id] == w {
					delete(s.waiting, id)
				}
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
		if ev.ID != mine && s.Fits(block, rec.Outputs) != nil {
			continue // meant for another node of the same name, with other ports
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
		if err := fin.Finish(ctx, rec.Outputs); err != nil {
			if after, serr := fin.Sync(ctx); serr == nil && after.State.IsTerminal() {
				return true, nil // ended meanwhile (a deadline, a cancel): nothing left to wait for
			}
			return false, err // taken and not finished: the next look finishes it ("mine")
		}
		return true, nil
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
