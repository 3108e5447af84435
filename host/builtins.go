package host

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
	"github.com/openoma/openoma/host/builtin"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/router"
	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// builtinUnlimited is the concurrency the engine grants the built-in
// adapters: a timer or a signal waits at the cost of a goroutine, so it
// must not take a slot a plugin's work needs.
const builtinUnlimited = 1 << 30

// builtinRoutes put the host's own adapters first in routing, so a "*"
// plugin never takes a timer or a signal.
func builtinRoutes() []router.Plugin {
	return []router.Plugin{
		{Name: builtin.TimerName, Hints: []string{core.HintTimer}},
		{Name: builtin.SignalName, Hints: []string{core.HintSignal}},
	}
}

// builtinSet holds the host's own adapters.
type builtinSet struct {
	timer   *sdk.BlockAdapter
	signals *builtin.Signals
}

func newBuiltins(s store.EventStore, log hclog.Logger) *builtinSet {
	return &builtinSet{timer: builtin.NewTimer(time.Now), signals: builtin.NewSignals(s, log.Named("signals"))}
}

func (b *builtinSet) adapter(name string) (sdk.Adapter, bool) {
	switch name {
	case builtin.TimerName:
		return b.timer, true
	case builtin.SignalName:
		return b.signals, true
	}
	return nil, false
}

// shutdown stops the waits (the next start resumes them from the log).
func (b *builtinSet) shutdown(ctx context.Context) error {
	return errors.Join(b.timer.Shutdown(ctx), b.signals.Shutdown(ctx))
}

// Signal implements control.Backend: it records a signal named name, with
// outputs for the block that waits for it, on a running flow execution
// (target may also name one of its block executions) and wakes the block.
// The outputs are checked against that block's output ports first; an
// unknown or ended execution, a name no node of the flow waits for, or
// outputs that do not fit are refused and nothing is recorded. A signal
// sent before its block waits is kept and delivered when it does.
func (h *Host) Signal(ctx context.Context, target uuid.UUID, name string, outputs map[string]any, by control.Caller) (uuid.UUID, error) {
	if err := h.mustRun("signal"); err != nil {
		return uuid.Nil, err
	}
	flowID, err := h.signalTarget(ctx, target)
	if err != nil {
		return uuid.Nil, err
	}
	flow, err := h.flowOfExecution(ctx, flowID)
	if err != nil {
		return uuid.Nil, err
	}
	blocks, err := h.signalBlocks(flow, name)
	if err != nil {
		return uuid.Nil, err
	}
	if outputs == nil {
		outputs = map[string]any{}
	}
	// The outputs must fit a node that waits for the name (two nodes may
	// share one with different ports; each takes only what fits it).
	var misfits []error
	for _, b := range blocks {
		if err := h.builtins.signals.Fits(*b, outputs); err != nil {
			misfits = append(misfits, err)
		}
	}
	if len(misfits) == len(blocks) {
		return uuid.Nil, fmt.Errorf("signal %s: %w: %w", name, errors.Join(misfits...), control.ErrInvalid)
	}
	sender := by.Executor()
	ev, err := execution.NewEvent(flowID, execution.EventProgress, &sender,
		builtin.SignalRecord{Type: builtin.ProgressSignal, Name: name, Outputs: outputs, SentBy: &sender})
	if err != nil {
		return uuid.Nil, err
	}
	// Appended only while the flow runs: the store refuses a progress
	// event after a terminal one (ErrFinal).
	if _, err := h.store.Append(ctx, []execution.Event{ev}, store.AppendOptions{}); err != nil {
		if errors.Is(err, store.ErrFinal) {
			return uuid.Nil, fmt.Errorf("flow execution %s has ended: a signal would reach no one: %w", flowID, control.ErrInvalid)
		}
		return uuid.Nil, fmt.Errorf("recording signal %q: %w", name, err)
	}
	h.builtins.signals.Notify(flowID, name)
	return ev.ID, nil
}

// signalTarget is the running flow execution a signal goes to: target
// itself, or the flow of a block execution.
func (h *Host) signalTarget(ctx context.Context, target uuid.UUID) (uuid.UUID, error) {
	info, err := h.store.Execution(ctx, target)
	if errors.Is(err, store.ErrNotFound) {
		return uuid.Nil, fmt.Errorf("no execution %s: %w", target, control.ErrNotFound)
	}
	if err != nil {
		return uuid.Nil, err
	}
	if info.Kind == execution.KindBlock {
		if info.Terminal {
			return uuid.Nil, fmt.Errorf("block execution %s has ended: %w", target, control.ErrInvalid)
		}
		return h.signalTarget(ctx, info.Parent)
	}
	if info.Kind != execution.KindFlow {
		return uuid.Nil, fmt.Errorf("%s is a %s execution: signals go to a flow execution or one of its blocks: %w", target, info.Kind, control.ErrInvalid)
	}
	if info.Terminal {
		return uuid.Nil, fmt.Errorf("flow execution %s has ended: a signal would reach no one: %w", target, control.ErrInvalid)
	}
	return target, nil
}

func (h *Host) flowOfExecution(ctx context.Context, id uuid.UUID) (*core.Flow, error) {
	info, err := h.store.Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	f, ok := h.catalog.Flow(info.DefinitionID, info.DefinitionVersion)
	if !ok {
		return nil, fmt.Errorf("flow execution %s runs flow %s v%d, which is not in the definitions: %w",
			id, info.DefinitionID, info.DefinitionVersion, control.ErrInvalid)
	}
	return f, nil
}

// signalBlocks are the blocks of the nodes of f that wait for the signal
// name.
func (h *Host) signalBlocks(f *core.Flow, name string) ([]*core.WorkBlock, error) {
	var names []string
	var found []*core.WorkBlock
	for _, n := range f.Nodes {
		b, ok := h.catalog.WorkBlock(n.TargetID, n.TargetVersion)
		if !ok || !slices.Contains(b.ExecutionHints, core.HintSignal) {
			continue
		}
		want, err := builtin.SignalNameOf(*b, n)
		if err != nil {
			continue
		}
		if want == name {
			found = append(found, b)
		}
		names = append(names, want)
	}
	if len(found) > 0 {
		return found, nil
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s waits for no signal: %w", f.Describe(), control.ErrInvalid)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%s has no signal %q; it waits for %s: %w", f.Describe(), name, strings.Join(slices.Compact(names), ", "), control.ErrInvalid)
}
