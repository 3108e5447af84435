package execution_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

var allStates = []execution.State{pending, inProgress, completed, failed, skipped, cancelled}

// genFlow draws a flow: 1–8 nodes, forward edges only (so it is acyclic),
// an entry edge into every node without a predecessor.
func genFlow(t *rapid.T) *core.Flow {
	n := rapid.IntRange(1, 8).Draw(t, "nodes")
	f := &core.Flow{ID: uuid.New(), Version: 1}
	for i := range n {
		f.Nodes = append(f.Nodes, core.NodeReference{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)}), TargetVersion: 1})
	}
	hasIn := make([]bool, n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			if rapid.Bool().Draw(t, "edge") {
				f.Edges = append(f.Edges, core.Edge{SourceID: f.Nodes[i].ID, TargetID: f.Nodes[j].ID})
				hasIn[j] = true
			}
		}
	}
	for i := range n {
		if !hasIn[i] {
			f.Edges = append(f.Edges, core.Edge{TargetID: f.Nodes[i].ID})
		}
	}
	return f
}

// genBlocks draws 0–3 attempts for each slot of f, numbered 1, 2, 3 so the
// latest attempt is never ambiguous, with states drawn from latest for the
// last attempt and from any state before.
func genBlocks(t *rapid.T, f *core.Flow, latest func(slot uuid.UUID) []execution.State) []execution.BlockExecution {
	var out []execution.BlockExecution
	for _, n := range f.Nodes {
		k := rapid.IntRange(0, 3).Draw(t, "attempts")
		for a := 1; a <= k; a++ {
			from := allStates
			if a == k {
				from = latest(n.ID)
			}
			out = append(out, block(n.ID, a, rapid.SampledFrom(from).Draw(t, "state")))
		}
	}
	return out
}

func anyState(uuid.UUID) []execution.State { return allStates }

func TestPropFlowStateIgnoresOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFlow(t)
		blocks := genBlocks(t, f, anyState)
		want := execution.DeriveFlowState(f, blocks)
		shuffled := rapid.Permutation(blocks).Draw(t, "order")
		if got := execution.DeriveFlowState(f, shuffled); got != want {
			t.Fatalf("shuffled blocks give %s, original order %s", got, want)
		}
	})
}

func TestPropFailedBlockFailsFlow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFlow(t)
		blocks := genBlocks(t, f, anyState)
		// A failed latest attempt of any slot — an existing slot retried
		// once more, or a slot no block has run yet.
		slot := rapid.SampledFrom(f.Nodes).Draw(t, "slot").ID
		next := 1
		for _, b := range blocks {
			if b.NodeReferenceID == slot && b.Attempt() >= next {
				next = b.Attempt() + 1
			}
		}
		at := rapid.IntRange(0, len(blocks)).Draw(t, "at")
		blocks = slices.Insert(blocks, at, block(slot, next, failed))
		if got := execution.DeriveFlowState(f, blocks); got != failed {
			t.Fatalf("flow with a failed latest attempt = %s, want failed", got)
		}
	})
}

func TestPropTerminalsDoneIsCompleted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFlow(t)
		terminal := map[uuid.UUID]bool{}
		for _, id := range f.TerminalNodes() {
			terminal[id] = true
		}
		blocks := genBlocks(t, f, func(slot uuid.UUID) []execution.State {
			if terminal[slot] {
				return []execution.State{completed, skipped}
			}
			return []execution.State{pending, inProgress, completed, skipped}
		})
		// Every terminal slot needs a block; add a done one where none was
		// drawn.
		for id := range terminal {
			if !slices.ContainsFunc(blocks, func(b execution.BlockExecution) bool { return b.NodeReferenceID == id }) {
				blocks = append(blocks, block(id, 1, rapid.SampledFrom([]execution.State{completed, skipped}).Draw(t, "done")))
			}
		}
		if got := execution.DeriveFlowState(f, blocks); got != completed {
			t.Fatalf("every terminal node completed or skipped, nothing failed or cancelled: got %s, want completed", got)
		}
	})
}

// TestPropFlowStatePriority checks the rule table as a whole against the
// latest attempts, without re-implementing it: each rule's premise forces
// its conclusion unless a higher rule applies.
func TestPropFlowStatePriority(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFlow(t)
		blocks := genBlocks(t, f, anyState)
		got := execution.DeriveFlowState(f, blocks)
		latest := execution.LatestAttempts(blocks)
		has := func(s execution.State) bool {
			return slices.ContainsFunc(latest, func(b execution.BlockExecution) bool { return b.State == s })
		}
		allPending := !slices.ContainsFunc(latest, func(b execution.BlockExecution) bool { return b.State != pending })
		switch {
		case has(failed):
			if got != failed {
				t.Fatalf("rule 1: got %s", got)
			}
		case has(cancelled):
			if got != cancelled {
				t.Fatalf("rule 2: got %s", got)
			}
		case got == completed:
			for _, id := range f.TerminalNodes() {
				i := slices.IndexFunc(latest, func(b execution.BlockExecution) bool { return b.NodeReferenceID == id })
				if i < 0 || (latest[i].State != completed && latest[i].State != skipped) {
					t.Fatalf("completed, but terminal node %s is not done", id)
				}
			}
		case allPending:
			if got != pending {
				t.Fatalf("rule 5: all pending, got %s", got)
			}
		default:
			if got != inProgress {
				t.Fatalf("rule 4: got %s", got)
			}
		}
		if got == skipped {
			t.Fatalf("a flow is never derived skipped")
		}
	})
}

// TestPropFlatFlowMatchesContract: in a flow whose nodes are all terminal
// (no edges between them) and which has one block per node, §3.4 and §3.5
// are the same table, so the two derivations must agree.
func TestPropFlatFlowMatchesContract(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "nodes")
		f := &core.Flow{}
		var blocks []execution.BlockExecution
		var states []execution.State
		for range n {
			id := uuid.New()
			f.Nodes = append(f.Nodes, core.NodeReference{ID: id})
			f.Edges = append(f.Edges, core.Edge{TargetID: id})
			s := rapid.SampledFrom(allStates).Draw(t, "state")
			blocks = append(blocks, block(id, 1, s))
			states = append(states, s)
		}
		flow, contract := execution.DeriveFlowState(f, blocks), execution.DeriveContractState(states, nil)
		if flow != contract {
			t.Fatalf("states %v: flow derivation %s, contract derivation %s", states, flow, contract)
		}
	})
}

func TestPropContractStateIsOverTheUnion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		flows := rapid.SliceOfN(rapid.SampledFrom(allStates), 0, 6).Draw(t, "flows")
		subs := rapid.SliceOfN(rapid.SampledFrom(allStates), 0, 6).Draw(t, "subs")
		want := execution.DeriveContractState(flows, subs)
		union := append(slices.Clone(flows), subs...)
		for _, got := range []execution.State{
			execution.DeriveContractState(subs, flows),
			execution.DeriveContractState(union, nil),
			execution.DeriveContractState(nil, rapid.Permutation(union).Draw(t, "order")),
		} {
			if got != want {
				t.Fatalf("flows %v, subs %v: %s, but %s when regrouped", flows, subs, want, got)
			}
		}
		if slices.Contains(union, failed) && want != failed {
			t.Fatalf("a failed input gave %s", want)
		}
	})
}

// genTypes draws a sequence of event types, biased towards valid logs.
func genTypes(t *rapid.T) []execution.EventType {
	return rapid.SliceOfN(rapid.SampledFrom(execution.EventTypes), 0, 12).Draw(t, "types")
}

func TestPropBlockStateDecidedByFirstTerminal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		types := append([]execution.EventType{execution.EventCreated}, genTypes(t)...)
		log := blockLog(uuid.New(), uuid.New(), 1, types[1:]...)
		got := execution.DeriveBlockState(log)
		first := slices.IndexFunc(types, execution.EventType.IsTerminal)
		if first < 0 {
			want := pending
			if slices.Contains(types, execution.EventStarted) {
				want = inProgress
			}
			if got != want {
				t.Fatalf("%v: got %s, want %s", types, got, want)
			}
			return
		}
		if want := execution.StateOf(types[first]); got != want {
			t.Fatalf("%v: got %s, want %s from the first terminal event", types, got, want)
		}
		// Whatever follows the first terminal event changes nothing.
		if prefix := execution.DeriveBlockState(log[:first+1]); prefix != got {
			t.Fatalf("%v: the log up to the terminal event is %s, the whole log %s", types, prefix, got)
		}
	})
}

// TestPropValidateLogAgreesWithStore: a log passes ValidateLog exactly when
// a store accepts it event by event, and both refuse the same event for the
// same reason — they share one rule.
func TestPropValidateLogAgreesWithStore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		id := uuid.New()
		n := rapid.IntRange(1, 10).Draw(t, "events")
		log := make([]execution.Event, n)
		for i := range log {
			typ := execution.EventCreated
			if i > 0 || rapid.IntRange(0, 9).Draw(t, "not created first") == 0 {
				typ = rapid.SampledFrom(execution.EventTypes).Draw(t, "type")
			}
			log[i] = execution.Event{ID: uuid.New(), ExecutionID: id, EventType: typ, Timestamp: t0.Add(time.Duration(i) * time.Second)}
			if rapid.Bool().Draw(t, "administrative") {
				log[i].Metadata = map[string]any{execution.MetadataAdministrative: true}
			}
		}
		verr := execution.ValidateLog(log)
		s := memory.New()
		defer s.Close()
		for i := range log {
			_, serr := s.Append(t.Context(), log[i:i+1], store.AppendOptions{})
			if serr == nil {
				continue
			}
			var le *execution.LogError
			if !errors.As(verr, &le) || le.Sequence != uint64(i+1) {
				t.Fatalf("store refused event %d (%v), ValidateLog said %v", i+1, serr, verr)
			}
			if errors.Is(serr, store.ErrFinal) != errors.Is(verr, execution.ErrAfterTerminal) {
				t.Fatalf("store: %v; ValidateLog: %v — different rules", serr, verr)
			}
			return
		}
		if verr != nil {
			t.Fatalf("store accepted the whole log, ValidateLog said %v", verr)
		}
	})
}

func TestPropEventJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ev := execution.Event{
			ID:          uuid.New(),
			Timestamp:   time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "sec"), rapid.Int64Range(0, 999999999).Draw(t, "nsec")).UTC(),
			ExecutionID: uuid.New(),
			EventType:   rapid.SampledFrom(execution.EventTypes).Draw(t, "type"),
			Sequence:    rapid.Uint64().Draw(t, "sequence"),
			Position:    rapid.Uint64().Draw(t, "position"),
			Metadata:    map[string]any{},
		}
		raw, err := json.Marshal(map[string]any{
			"s": rapid.String().Draw(t, "s"), "n": rapid.Float64Range(-1e9, 1e9).Draw(t, "n"), "b": rapid.Bool().Draw(t, "b"),
		})
		if err != nil {
			t.Fatal(err)
		}
		ev.Payload = raw
		if rapid.Bool().Draw(t, "with executor") {
			ev.Executor = &execution.ExecutorInfo{
				Type:       rapid.SampledFrom([]execution.ExecutorType{execution.ExecutorHuman, execution.ExecutorAgent, execution.ExecutorSystem}).Draw(t, "executor type"),
				Identifier: rapid.String().Draw(t, "identifier"),
				Metadata:   map[string]any{},
			}
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back execution.Event
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("decode %s: %v", out, err)
		}
		if !reflect.DeepEqual(back, ev) {
			t.Fatalf("round trip of %s:\n  %+v\nwant\n  %+v", out, back, ev)
		}
	})
}
