package host

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// StreamTree sends the events of execution root and all its descendants
// (a contract's flows and sub-contracts, a flow's blocks) with a Position
// greater than after, in store order. With follow it then delivers new
// events of the tree as they are stored, until root's terminal event has
// been sent or ctx is done.
func StreamTree(ctx context.Context, s store.EventStore, root uuid.UUID, after uint64, follow bool, send func(execution.Event) error) error {
	if _, err := s.Execution(ctx, root); err != nil {
		return fmt.Errorf("execution %s: %w", root, err)
	}
	// Fix a cut first: the snapshot sends what is stored up to it, the
	// subscription what comes after it. (One high-water mark over a
	// snapshot read log by log would skip an event stored meanwhile in a
	// log already read.)
	cut, known, err := lastPosition(ctx, s)
	if err != nil {
		return err
	}
	if !known {
		// Without a cut, a follower takes everything from the subscription
		// (a longer replay, filtered by membership); a one-off read takes
		// everything from the snapshot.
		cut = ^uint64(0)
		if follow {
			cut = after
		}
	}
	var sub store.Subscription
	if follow {
		if sub, err = s.Subscribe(ctx, store.SubscribeOptions{After: max(after, cut)}); err != nil {
			return err
		}
		defer sub.Close()
	}
	members := map[uuid.UUID]bool{}
	var all []execution.Event
	queue := []uuid.UUID{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		members[id] = true
		evs, err := s.Events(ctx, id, 0)
		if err != nil {
			return err
		}
		all = append(all, evs...)
		children, err := s.ListExecutions(ctx, store.Filter{Parent: id})
		if err != nil {
			return err
		}
		for _, c := range children {
			queue = append(queue, c.ID)
		}
	}
	slices.SortFunc(all, func(a, b execution.Event) int { return compareUint(a.Position, b.Position) })
	for _, ev := range all {
		if ev.Position <= after || ev.Position > cut {
			continue // before the caller's point, or the subscription's to send
		}
		if err := send(ev); err != nil {
			return err
		}
		if ev.ExecutionID == root && ev.EventType.IsTerminal() {
			return nil
		}
	}
	if !follow {
		return nil
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !members[ev.ExecutionID] {
			if ev.EventType != execution.EventCreated || !members[store.InfoFromCreated(ev).Parent] {
				continue
			}
			members[ev.ExecutionID] = true
		}
		if err := send(ev); err != nil {
			return err
		}
		if ev.ExecutionID == root && ev.EventType.IsTerminal() {
			return nil
		}
	}
}

// lastPosition is where the store's log ends now, if the store can say.
func lastPosition(ctx context.Context, s store.EventStore) (uint64, bool, error) {
	p, ok := s.(store.Positioner)
	if !ok {
		return 0, false, nil
	}
	pos, err := p.LastPosition(ctx)
	return pos, true, err
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
