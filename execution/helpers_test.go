package execution_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
)

// t0 is the first timestamp of the tests' logs.
var t0 = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

// blockLog builds the log of one block execution of slot: a created event
// with the attempt number, then one event of each type given.
func blockLog(execID, slot uuid.UUID, attempt int, types ...execution.EventType) []execution.Event {
	created, err := json.Marshal(execution.Created{
		Kind: execution.KindBlock, NodeReferenceID: slot, WorkBlockID: uuid.NewSHA1(uuid.Nil, slot[:]),
		WorkBlockVersion: 1, Attempt: attempt,
	})
	if err != nil {
		panic(err)
	}
	evs := []execution.Event{{
		ID: uuid.New(), Timestamp: t0, ExecutionID: execID, EventType: execution.EventCreated, Payload: created,
	}}
	for i, typ := range types {
		evs = append(evs, execution.Event{
			ID: uuid.New(), Timestamp: t0.Add(time.Duration(i+1) * time.Second), ExecutionID: execID, EventType: typ,
		})
	}
	return evs
}

// typesFor are the events after created that bring a block to state.
func typesFor(state execution.State) []execution.EventType {
	switch state {
	case execution.StatePending:
		return nil
	case execution.StateInProgress:
		return []execution.EventType{execution.EventStarted}
	case execution.StateSkipped:
		return []execution.EventType{execution.EventSkipped}
	}
	return []execution.EventType{execution.EventStarted, execution.EventType(state)}
}

// block is a projected block execution of slot, attempt, in state.
func block(slot uuid.UUID, attempt int, state execution.State) execution.BlockExecution {
	b, err := execution.ProjectBlock(blockLog(uuid.New(), slot, attempt, typesFor(state)...))
	if err != nil {
		panic(err)
	}
	if b.State != state {
		panic(fmt.Sprintf("block built in state %s, want %s", b.State, state))
	}
	return b
}

// diamond is the flow the table tests run against:
//
//	entry → A → B → D
//	        A → C → D
//	entry → E
//
// D and E are its terminal nodes; E is a separate work stream.
type diamond struct {
	flow          *core.Flow
	a, b, c, d, e uuid.UUID
}

func newDiamond() diamond {
	id := func(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(s)) }
	d := diamond{a: id("A"), b: id("B"), c: id("C"), d: id("D"), e: id("E")}
	node := func(n uuid.UUID, alias string) core.NodeReference {
		return core.NodeReference{ID: n, TargetID: id("block"), TargetVersion: 1, Alias: alias}
	}
	d.flow = &core.Flow{
		ID: id("flow"), Version: 1, Name: "diamond",
		Nodes: []core.NodeReference{node(d.a, "A"), node(d.b, "B"), node(d.c, "C"), node(d.d, "D"), node(d.e, "E")},
		Edges: []core.Edge{
			{TargetID: d.a}, {SourceID: d.a, TargetID: d.b}, {SourceID: d.a, TargetID: d.c},
			{SourceID: d.b, TargetID: d.d}, {SourceID: d.c, TargetID: d.d}, {TargetID: d.e},
		},
	}
	return d
}
