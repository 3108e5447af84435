// Package logfollow follows an event store from where its log ends now:
// what the host's exporters (metrics, traces) do to learn what happens
// from their start on, without replaying history.
package logfollow

import (
	"context"
	"errors"
	"fmt"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Follow subscribes to s after its last position, calls seed (to learn
// what is open at that moment; events it reads twice are the caller's to
// ignore), then observe for every new event in log order, until ctx ends
// (nil) or the subscription fails. Subscribing before seeding means
// nothing stored between the two is missed.
func Follow(ctx context.Context, s store.EventStore, seed func(context.Context) error, observe func(execution.Event)) error {
	var after uint64
	if p, ok := s.(store.Positioner); ok {
		pos, err := p.LastPosition(ctx)
		if err != nil {
			return fmt.Errorf("where the log ends: %w", err)
		}
		after = pos
	}
	sub, err := s.Subscribe(ctx, store.SubscribeOptions{After: after})
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer sub.Close()
	if err := seed(ctx); err != nil {
		return err
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
				return nil
			}
			return fmt.Errorf("following the log: %w", err)
		}
		observe(ev)
	}
}
