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
	// Subscribe before reading, so nothing stored in between is missed;
	// events already sent are skipped by position.
	var sub store.Subscription
	if follow {
		var err error
		if sub, err = s.Subscribe(ctx, store.SubscribeOptions{After: after}); err != nil {
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
	last := after
	rootDone := false
	for _, ev := range all {
		if ev.Position <= after {
			continue
		}
		if err := send(ev); err != nil {
			return err
		}
		last = ev.Position
		if ev.ExecutionID == root && ev.EventType.IsTerminal() {
			rootDone = true
		}
	}
	if !follow || rootDone {
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
		if ev.Position <= last {
			continue
		}
		if !members[ev.ExecutionID] {
			if ev.EventType != execution.EventCreated {
				continue
			}
			info := store.InfoFromCreated(ev)
			if !members[info.Parent] {
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

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
