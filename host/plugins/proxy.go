package plugins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/sdk"
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

func (p *proxy) call(ctx context.Context, what string, f func(sdk.Adapter) error) error {
	inst, err := p.m.instance(ctx, p.name)
	if err != nil {
		return err
	}
	err = f(inst.adapter)
	if err == nil {
		return nil
	}
	// The exit is noticed the instant the process ends, but the failed RPC
	// can return a moment before that; give the watcher a beat to see it.
	select {
	case <-inst.runner.exited:
	case <-time.After(20 * time.Millisecond):
	}
	select {
	case <-inst.runner.exited:
		return fmt.Errorf("plugin %q: %s: process exited during the call (%s): %w", p.name, what, exitReason(inst.runner.err), sdk.ErrUnavailable)
	default:
		// The process is alive: whatever the plugin said, it is not "gone,
		// wait for the restart" (no restart is coming), so ErrUnavailable
		// must not survive here or the block would wait for ever.
		if errors.Is(err, sdk.ErrUnavailable) {
			return fmt.Errorf("plugin %q: %s: %v", p.name, what, err)
		}
		return fmt.Errorf("plugin %q: %s: %w", p.name, what, err)
	}
}

func (p *proxy) Describe(ctx context.Context) (info sdk.Info, err error) {
	err = p.call(ctx, "Describe", func(a sdk.Adapter) (e error) { info, e = a.Describe(ctx); return })
	return info, err
}

func (p *proxy) ExecuteBlock(ctx context.Context, req sdk.ExecuteRequest) (id uuid.UUID, err error) {
	err = p.call(ctx, "ExecuteBlock", func(a sdk.Adapter) (e error) { id, e = a.ExecuteBlock(ctx, req); return })
	return id, err
}

func (p *proxy) ResumeBlock(ctx context.Context, req sdk.ResumeRequest) error {
	return p.call(ctx, "ResumeBlock", func(a sdk.Adapter) error { return a.ResumeBlock(ctx, req) })
}

func (p *proxy) CancelBlock(ctx context.Context, req sdk.CancelRequest) error {
	return p.call(ctx, "CancelBlock", func(a sdk.Adapter) error { return a.CancelBlock(ctx, req) })
}

func (p *proxy) EvaluateCondition(ctx context.Context, req sdk.ConditionRequest) (res sdk.ConditionResult, err error) {
	err = p.call(ctx, "EvaluateCondition", func(a sdk.Adapter) (e error) { res, e = a.EvaluateCondition(ctx, req); return })
	return res, err
}
