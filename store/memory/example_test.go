package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	id := uuid.New()
	created, _ := execution.NewEvent(id, execution.EventCreated, nil, execution.Created{Kind: execution.KindBlock, Attempt: 1})
	started, _ := execution.NewEvent(id, execution.EventStarted, nil, nil)
	done, _ := execution.NewEvent(id, execution.EventCompleted, nil, nil)

	// One append may carry several events of one execution.
	stored, _ := s.Append(ctx, []execution.Event{created, started}, store.AppendOptions{})
	fmt.Println("sequences:", stored[0].Sequence, stored[1].Sequence)

	// Optimistic concurrency: append only if nobody else did since.
	if _, err := s.Append(ctx, []execution.Event{done}, store.ExpectSequence(2)); err != nil {
		fmt.Println(err)
	}
	// A retry of the same event is a no-op that returns what is stored.
	again, _ := s.Append(ctx, []execution.Event{done}, store.AppendOptions{})
	fmt.Println("retry got sequence:", again[0].Sequence)

	// Terminal finality is enforced by the store.
	late, _ := execution.NewEvent(id, execution.EventProgress, nil, nil)
	_, err := s.Append(ctx, []execution.Event{late}, store.AppendOptions{})
	fmt.Println("after completed:", errors.Is(err, store.ErrFinal))

	events, _ := s.Events(ctx, id, 0)
	fmt.Println("state:", execution.DeriveBlockState(events))
	open, _ := s.ListExecutions(ctx, store.Filter{OpenOnly: true})
	fmt.Println("open executions:", len(open))
	// Output:
	// sequences: 1 2
	// retry got sequence: 3
	// after completed: true
	// state: completed
	// open executions: 0
}

func ExampleStore_Subscribe() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	// Follow every execution from the beginning, like `events --follow`.
	sub, _ := s.Subscribe(ctx, store.SubscribeOptions{})
	defer sub.Close()

	id := uuid.New()
	created, _ := execution.NewEvent(id, execution.EventCreated, nil, nil)
	skipped, _ := execution.NewEvent(id, execution.EventSkipped, nil, execution.Failure{Reason: "branch not taken"})
	_, _ = s.Append(ctx, []execution.Event{created, skipped}, store.AppendOptions{})

	for range 2 {
		ev, err := sub.Next(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Position, ev.EventType, string(ev.Payload))
	}
	// Output:
	// 1 created null
	// 2 skipped {"reason":"branch not taken"}
}
