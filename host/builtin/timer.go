package builtin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/sdk"
)

// TimerName is the name the timer adapter is routed by.
const TimerName = core.HintTimer

// progressTimer is the "type" of the progress event that records a
// timer's due time.
const progressTimer = "timer"

// maxTimerStep is the longest a timer sleeps before it looks at the
// wall clock again.
const maxTimerStep = time.Minute

// timerProgress is that event's payload.
type timerProgress struct {
	Type string    `json:"type"`
	Due  time.Time `json:"due"`
}

// NewTimer returns the openoma.timer adapter. now is the clock (time.Now
// outside tests).
func NewTimer(now func() time.Time) *sdk.BlockAdapter {
	return &sdk.BlockAdapter{
		Info:       sdk.Info{Name: TimerName, Version: "builtin", Hints: []string{core.HintTimer}},
		Executor:   sdk.System(TimerName),
		Idempotent: true, // waiting again for the recorded time is harmless
		Work: func(ctx context.Context, job sdk.Job) (map[string]any, error) {
			return waitTimer(ctx, job, now)
		},
	}
}

// waitTimer arms the timer once — the due time is recorded before the
// wait, so a resumed run finds it — and waits until then.
func waitTimer(ctx context.Context, job sdk.Job, now func() time.Time) (map[string]any, error) {
	log, err := job.Emitter.Sync(ctx)
	if err != nil {
		return nil, err
	}
	due, armed := recordedDue(log)
	if !armed {
		t, err := timerOf(job)
		if err != nil {
			return nil, sdk.Failf("bad_timer", "%s: %v", sdk.Where(job.Block, job.Node), err)
		}
		due = t.Due(now())
		if err := job.Emitter.Progress(ctx, timerProgress{Type: progressTimer, Due: due.UTC()}); err != nil {
			return nil, err
		}
	}
	// Wait in steps of at most a minute, looking at the wall clock each
	// time: Go timers run on the monotonic clock, which stands still while
	// the machine sleeps, and the due time is a wall-clock time.
	for wait := due.Sub(now()); wait > 0; wait = due.Sub(now()) {
		t := time.NewTimer(min(wait, maxTimerStep))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	return timerOutputs(job.Block, due, now()), nil
}

// timerOf reads the node's timer, else its block's.
func timerOf(job sdk.Job) (*core.Timer, error) {
	node, err := core.ParseTimer(job.Node.Metadata, "metadata")
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if node != nil {
		return node, nil
	}
	block, err := core.ParseTimer(job.Block.Metadata, "metadata")
	if err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	if block == nil {
		return nil, fmt.Errorf("an %s block needs metadata timer: {wait: <duration>} or {until: <RFC 3339 time>}", core.HintTimer)
	}
	return block, nil
}

// recordedDue finds the due time an earlier run recorded.
func recordedDue(b execution.BlockExecution) (time.Time, bool) {
	for _, ev := range b.Events {
		if ev.EventType != execution.EventProgress {
			continue
		}
		var p timerProgress
		if json.Unmarshal(ev.Payload, &p) == nil && p.Type == progressTimer && !p.Due.IsZero() {
			return p.Due, true
		}
	}
	return time.Time{}, false
}

// timerOutputs fills the output ports a timer block may declare: due (when
// it was to fire) and fired_at (when it did), RFC 3339.
func timerOutputs(block core.WorkBlock, due, fired time.Time) map[string]any {
	out := map[string]any{}
	for _, p := range block.Outputs {
		switch p.Name {
		case "due":
			out["due"] = due.UTC().Format(time.RFC3339Nano)
		case "fired_at":
			out["fired_at"] = fired.UTC().Format(time.RFC3339Nano)
		}
	}
	return out
}
