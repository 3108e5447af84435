package plugins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
	"github.com/openoma/openoma/store"
)

// proxy is the sdk.Adapter the engine holds for a plugin. Every call goes to
// the plugin's current process. A call that fails because the process died
// under it wraps sdk.ErrUnavailable, so the engine knows the block is not
// failed, only waiting for the restarted plugin to resume it.
type proxy struct {
	m    *Manager
	name string
}

var _ sdk.Adapter = (*proxy)(nil)

// How long a failed call waits to see whether the process exited (see
// callFor).
const (
	exitGrace       = 20 * time.Millisecond
	brokenConnGrace = 5 * time.Second
)

func (p *proxy) call(ctx context.Context, what string, f func(*instance) error) error {
	_, err := p.callFor(ctx, what, uuid.Nil, f)
	return err
}

// callFor makes one call on the plugin's current process. A call that hands
// a block over (block is not uuid.Nil) is entered in the plugin's hand
// record before it is made, so a crash at any instant after the hand-over
// leaves the record of which process had the block; a call the process
// refused, while alive, is taken out again (the engine fails the block or
// keeps it where it was).
func (p *proxy) callFor(ctx context.Context, what string, block uuid.UUID, f func(*instance) error) (*instance, error) {
	inst, done, err := p.m.acquire(ctx, p.name)
	if err != nil {
		return nil, err
	}
	defer done()
	hands := &p.m.procs[p.name].hands
	if block != uuid.Nil {
		hands.hand(block, inst.id.ID)
	}
	err = f(inst)
	if err == nil {
		return inst, nil
	}
	// The exit is noticed the instant the process is reaped, but the failed
	// RPC returns as soon as the connection breaks, which can be well
	// before that on a busy machine; give the watcher time to see it: a
	// beat for any failure, longer for a broken connection, which almost
	// always means the process is dying.
	grace := exitGrace
	if errors.Is(err, sdk.ErrUnavailable) {
		grace = brokenConnGrace
	}
	timer := time.NewTimer(grace)
	select {
	case <-inst.runner.exited:
	case <-timer.C:
	case <-ctx.Done():
	}
	timer.Stop()
	select {
	case <-inst.runner.exited:
		// The block stays in the record: the restart resumes it.
		return inst, fmt.Errorf("plugin %q: %s: process exited during the call (%s): %w", p.name, what, exitReason(inst.runner.err), sdk.ErrUnavailable)
	default:
		if block != uuid.Nil {
			hands.settle(block, inst.id.ID)
		}
		// The process is alive: whatever the plugin said, it is not "gone,
		// wait for the restart" (no restart is coming), so ErrUnavailable
		// must not survive here or the block would wait for ever.
		if errors.Is(err, sdk.ErrUnavailable) {
			return inst, fmt.Errorf("plugin %q: %s: %v", p.name, what, err)
		}
		return inst, fmt.Errorf("plugin %q: %s: %w", p.name, what, err)
	}
}

// stores gives a request the launch's stamping view of the host's store.
func (p *proxy) stores(inst *instance, st store.EventStore) store.EventStore {
	return inst.storeFor(st, &p.m.procs[p.name].hands)
}

func (p *proxy) Describe(ctx context.Context) (info sdk.Info, err error) {
	err = p.call(ctx, "Describe", func(inst *instance) (e error) { info, e = inst.adapter.Describe(ctx); return })
	return info, err
}

func (p *proxy) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (id uuid.UUID, err error) {
	_, err = p.callFor(ctx, "ExecuteBlock", req.ExecutionID, func(inst *instance) (e error) {
		req.Store = p.stores(inst, req.Store)
		id, e = inst.adapter.ExecuteBlock(ctx, req)
		return
	})
	return id, err
}

func (p *proxy) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	_, err := p.callFor(ctx, "ResumeBlock", req.ExecutionID, func(inst *instance) error {
		req.Store = p.stores(inst, req.Store)
		return inst.adapter.ResumeBlock(ctx, req)
	})
	return err
}

// CancelBlock is not a hand-over: the block stays with the process that
// runs it (a cancel that reaches a new process finds nothing running and
// records the end).
func (p *proxy) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	return p.call(ctx, "CancelBlock", func(inst *instance) error {
		req.Store = p.stores(inst, req.Store)
		return inst.adapter.CancelBlock(ctx, req)
	})
}

func (p *proxy) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (res sdk.ConditionResult, err error) {
	err = p.call(ctx, "EvaluateCondition", func(inst *instance) (e error) {
		req.Store = p.stores(inst, req.Store)
		res, e = inst.adapter.EvaluateCondition(ctx, req)
		return
	})
	return res, err
}
