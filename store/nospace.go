package store

import (
	"context"
	"errors"
	"time"

	"github.com/openoma/openoma/execution"
)

// Retry delays of AppendWaitingForSpace: a store answers ErrNoSpace at
// once and stores nothing, so trying again costs it one look at the disk.
const (
	spaceRetryFirst = 100 * time.Millisecond
	spaceRetryMax   = 2 * time.Second
)

// AppendWaitingForSpace is s.Append, except that while the store refuses
// with ErrNoSpace it waits (100 ms, doubling up to 2 s) and tries again,
// until the append succeeds, fails for another reason, or ctx ends (then
// the ErrNoSpace joined with ctx's error). onWait, when set, is called
// once, with the first refusal, and recovered once the append went
// through after waiting. This is how a full disk pauses executions rather
// than failing them: whoever appends for a running execution waits, and
// the execution continues, losing nothing, once space is freed.
func AppendWaitingForSpace(ctx context.Context, s EventStore, events []execution.Event, opts AppendOptions, onWait func(refusal error), recovered func()) ([]execution.Event, error) {
	delay := spaceRetryFirst
	waited := false
	for {
		stored, err := s.Append(ctx, events, opts)
		if !errors.Is(err, ErrNoSpace) {
			if waited && err == nil && recovered != nil {
				recovered()
			}
			return stored, err
		}
		if !waited && onWait != nil {
			onWait(err)
		}
		waited = true
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, spaceRetryMax)
	}
}
