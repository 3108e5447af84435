package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func listProperties() []property {
	return []property{
		{"List/Filters", testListFilters},
		{"List/OpenOnlyDropsTerminal", testListOpenOnly},
		{"List/EmptyStore", testListEmpty},
	}
}

// tree appends one contract execution running two flow executions, with two
// blocks in the first and one in the second, and returns the logs in the
// order they were created.
type tree struct {
	contract, flow1, flow2, block1, block2, block3 *logBuilder
	contractDef, flowDef, blockDef                 uuid.UUID
}

func appendTree(t *testing.T, s store.EventStore) tree {
	tr := tree{
		contract: newLog(), flow1: newLog(), flow2: newLog(), block1: newLog(), block2: newLog(), block3: newLog(),
		contractDef: uuid.New(), flowDef: uuid.New(), blockDef: uuid.New(),
	}
	// Each log's clock starts one second after the previous one, so the
	// creation order is the same by append and by timestamp.
	for i, l := range tr.all() {
		l.clock = base.Add(time.Duration(i) * time.Second)
	}
	flowOf := func(parent *logBuilder, def uuid.UUID) execution.Created {
		return execution.Created{Kind: execution.KindFlow, FlowID: def, FlowVersion: 1, Role: execution.RoleWork, ParentExecutionID: parent.id}
	}
	blockOf := func(parent *logBuilder) execution.Created {
		return execution.Created{Kind: execution.KindBlock, FlowExecutionID: parent.id, NodeReferenceID: uuid.New(), WorkBlockID: tr.blockDef, WorkBlockVersion: 1, Attempt: 1}
	}
	mustAppend(t, s, batch(tr.contract.createdAs(execution.Created{Kind: execution.KindContract, ContractID: tr.contractDef, ContractVersion: 2})))
	mustAppend(t, s, batch(tr.flow1.createdAs(flowOf(tr.contract, tr.flowDef))))
	mustAppend(t, s, batch(tr.flow2.createdAs(flowOf(tr.contract, uuid.New()))))
	mustAppend(t, s, batch(tr.block1.createdAs(blockOf(tr.flow1))))
	mustAppend(t, s, batch(tr.block2.createdAs(blockOf(tr.flow1))))
	mustAppend(t, s, batch(tr.block3.createdAs(blockOf(tr.flow2))))
	return tr
}

func (tr tree) all() []*logBuilder {
	return []*logBuilder{tr.contract, tr.flow1, tr.flow2, tr.block1, tr.block2, tr.block3}
}

func listIDs(t *testing.T, s store.EventStore, f store.Filter) []uuid.UUID {
	t.Helper()
	infos, err := s.ListExecutions(t.Context(), f)
	if err != nil {
		t.Fatalf("ListExecutions(%+v): %v", f, err)
	}
	ids := make([]uuid.UUID, len(infos))
	for i, info := range infos {
		ids[i] = info.ID
	}
	return ids
}

func checkList(t *testing.T, s store.EventStore, name string, f store.Filter, want ...*logBuilder) {
	t.Helper()
	got := listIDs(t, s, f)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i] == want[i].id
	}
	if !ok {
		wantIDs := make([]uuid.UUID, len(want))
		for i, l := range want {
			wantIDs[i] = l.id
		}
		t.Errorf("ListExecutions(%s) =\n  %v\nwant (oldest first)\n  %v", name, got, wantIDs)
	}
}

func testListFilters(t *testing.T, s store.EventStore) {
	tr := appendTree(t, s)
	mustAppend(t, s, batch(tr.block1.event(execution.EventCompleted, "")))
	mustAppend(t, s, batch(tr.flow2.event(execution.EventCancelled, "")))
	checkList(t, s, "all", store.Filter{}, tr.all()...)
	checkList(t, s, "open only", store.Filter{OpenOnly: true}, tr.contract, tr.flow1, tr.block2, tr.block3)
	checkList(t, s, "parent contract", store.Filter{Parent: tr.contract.id}, tr.flow1, tr.flow2)
	checkList(t, s, "parent flow1", store.Filter{Parent: tr.flow1.id}, tr.block1, tr.block2)
	checkList(t, s, "open children of flow1", store.Filter{Parent: tr.flow1.id, OpenOnly: true}, tr.block2)
	checkList(t, s, "definition of the blocks", store.Filter{DefinitionID: tr.blockDef}, tr.block1, tr.block2, tr.block3)
	checkList(t, s, "definition of flow1", store.Filter{DefinitionID: tr.flowDef}, tr.flow1)
	checkList(t, s, "kind contract", store.Filter{Kind: execution.KindContract}, tr.contract)
	checkList(t, s, "kind flow", store.Filter{Kind: execution.KindFlow}, tr.flow1, tr.flow2)
	checkList(t, s, "open flows", store.Filter{Kind: execution.KindFlow, OpenOnly: true}, tr.flow1)
	checkList(t, s, "blocks of flow2", store.Filter{Kind: execution.KindBlock, Parent: tr.flow2.id}, tr.block3)
	checkList(t, s, "unknown parent", store.Filter{Parent: uuid.New()})
	checkList(t, s, "block kind under a flow definition", store.Filter{Kind: execution.KindBlock, DefinitionID: tr.flowDef})

	infos, err := s.ListExecutions(t.Context(), store.Filter{Parent: tr.flow1.id})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) == 2 && (!infos[0].Terminal || infos[0].LastSequence != 2 || infos[1].Terminal || infos[1].LastSequence != 1) {
		t.Errorf("listed infos %+v do not reflect the logs (block1 terminal at 2, block2 open at 1)", infos)
	}
}

func testListOpenOnly(t *testing.T, s store.EventStore) {
	tr := appendTree(t, s)
	open := store.Filter{OpenOnly: true}
	checkList(t, s, "open only", open, tr.all()...)
	mustAppend(t, s, batch(tr.block2.event(execution.EventStarted, ""), tr.block2.progress(1)))
	checkList(t, s, "open only after progress", open, tr.all()...)
	mustAppend(t, s, batch(tr.block2.event(execution.EventCompleted, "")))
	checkList(t, s, "open only after block2 completed", open, tr.contract, tr.flow1, tr.flow2, tr.block1, tr.block3)
	// Administrative events do not reopen an execution.
	mustAppend(t, s, batch(tr.block2.administrative(execution.EventExecutorReleased)))
	checkList(t, s, "open only after an administrative event", open, tr.contract, tr.flow1, tr.flow2, tr.block1, tr.block3)
	for _, l := range []*logBuilder{tr.block1, tr.block3, tr.flow1, tr.flow2, tr.contract} {
		mustAppend(t, s, batch(l.event(execution.EventFailed, "")))
	}
	checkList(t, s, "open only when all ended", open)
}

func testListEmpty(t *testing.T, s store.EventStore) {
	checkList(t, s, "empty store", store.Filter{})
	checkList(t, s, "empty store, open only", store.Filter{OpenOnly: true})
}
