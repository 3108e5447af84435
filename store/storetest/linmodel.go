package storetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/openoma/openoma/execution"
)

// This file is the sequential specification the linearizability property
// checks histories against: one execution's log, and what each operation
// of store.EventStore must answer given that log. It is written from the
// store's documentation, not from store.PrepareAppend, so that a rule the
// shared code gets wrong shows up as a disagreement rather than being
// copied into the model.

// token names one event of a history: its index in the history's event
// table. Events are compared by token, which stands for the event's id.
type token int

// unknownToken stands for an event a store returned that the history never
// sent.
const unknownToken token = -1

// modelEvent is what the model needs to know of an event to judge it.
type modelEvent struct {
	typ            execution.EventType
	administrative bool
	validPayload   bool
}

func modelEventOf(ev execution.Event) modelEvent {
	return modelEvent{
		typ:            ev.EventType,
		administrative: ev.IsAdministrative(),
		validPayload:   len(ev.Payload) == 0 || json.Valid(ev.Payload),
	}
}

// logState is the model's state: the tokens of the stored events in
// sequence order (two bytes each, so the state compares with ==) and
// whether one of them is terminal.
type logState struct {
	log      string
	terminal bool
}

func (s logState) len() int { return len(s.log) / 2 }

func (s logState) at(i int) token { return token(binary.BigEndian.Uint16([]byte(s.log[2*i:]))) }

// seqOf returns the sequence at which tok is stored, or 0.
func (s logState) seqOf(tok token) uint64 {
	for i := range s.len() {
		if s.at(i) == tok {
			return uint64(i + 1)
		}
	}
	return 0
}

func (s logState) with(tok token, terminal bool) logState {
	return logState{
		log:      s.log + string(binary.BigEndian.AppendUint16(nil, uint16(tok))),
		terminal: s.terminal || terminal,
	}
}

// storedRef is an event as a store answered it: which event, at which
// sequence.
type storedRef struct {
	tok token
	seq uint64
}

// outcome is how an append ended, as far as the model can tell.
type outcome int

const (
	stored outcome = iota
	refusedConflict
	refusedFinal
	refusedInvalid
)

func (o outcome) String() string {
	return [...]string{"ok", "ErrConflict", "ErrFinal", "ErrInvalid"}[o]
}

// Operations of a history: the inputs and outputs the model steps on.
type (
	appendInput struct {
		batch    []token
		expected *uint64
	}
	appendOutput struct {
		outcome outcome
		events  []storedRef // what an accepted append returned
	}
	eventsInput  struct{ after uint64 }
	eventsOutput struct{ events []storedRef }
	latestInput  struct{}
	latestOutput struct {
		found bool
		event storedRef
	}
	infoInput  struct{}
	infoOutput struct {
		found        bool
		lastSequence uint64
		terminal     bool
	}
	// openListInput asks ListExecutions(OpenOnly) whether the execution
	// is open: it has events and none is terminal.
	openListInput  struct{}
	openListOutput struct{ listed bool }
)

// logModel judges one execution's operations. events is the history's
// event table, indexed by token.
type logModel struct {
	events []modelEvent
}

// judgeAppend is the specification of Append on one execution's log:
//
//   - a non-empty batch whose every event is stored is an idempotent
//     retry: it changes nothing and returns the stored events, whatever
//     the expectation says;
//   - a batch of which only some events are stored is refused (ErrInvalid),
//     as is an empty batch or one that holds an event twice;
//   - an expectation other than the log's length is refused (ErrConflict);
//   - then each event in turn, at the sequence it would get: an unknown
//     type, a first event that is not created, or a created event that is
//     not first is ErrInvalid; a non-administrative event after a terminal
//     one (stored or earlier in the batch) is ErrFinal; a payload that is
//     not JSON is ErrInvalid;
//   - otherwise the batch is stored at the next sequences, all or nothing.
func (m logModel) judgeAppend(st logState, in appendInput) (logState, appendOutput) {
	var storedRefs []storedRef
	for _, tok := range in.batch {
		if seq := st.seqOf(tok); seq != 0 {
			storedRefs = append(storedRefs, storedRef{tok, seq})
		}
	}
	refuse := func(o outcome) (logState, appendOutput) { return st, appendOutput{outcome: o} }
	switch {
	case len(in.batch) > 0 && len(storedRefs) == len(in.batch):
		return st, appendOutput{outcome: stored, events: storedRefs}
	case len(storedRefs) > 0, len(in.batch) == 0, hasDuplicate(in.batch):
		return refuse(refusedInvalid)
	case in.expected != nil && *in.expected != uint64(st.len()):
		return refuse(refusedConflict)
	}
	next := st
	out := appendOutput{outcome: stored}
	for _, tok := range in.batch {
		ev := m.events[tok]
		seq := uint64(next.len() + 1)
		switch {
		case !ev.typ.Valid(),
			seq == 1 && ev.typ != execution.EventCreated,
			seq > 1 && ev.typ == execution.EventCreated:
			return refuse(refusedInvalid)
		case next.terminal && !ev.administrative:
			return refuse(refusedFinal)
		case !ev.validPayload:
			return refuse(refusedInvalid)
		}
		next = next.with(tok, ev.typ.IsTerminal())
		out.events = append(out.events, storedRef{tok, seq})
	}
	return next, out
}

func hasDuplicate(batch []token) bool {
	seen := map[token]bool{}
	for _, tok := range batch {
		if seen[tok] {
			return true
		}
		seen[tok] = true
	}
	return false
}

// step is porcupine's Step: could the store, in state st, have answered
// input with output?
func (m logModel) step(state, input, output any) (bool, any) {
	st := state.(logState)
	switch in := input.(type) {
	case appendInput:
		next, want := m.judgeAppend(st, in)
		got := output.(appendOutput)
		if got.outcome != want.outcome || !slices.Equal(got.events, want.events) {
			return false, st
		}
		return true, next
	case eventsInput:
		return slices.Equal(output.(eventsOutput).events, st.refsAfter(in.after)), st
	case latestInput:
		got := output.(latestOutput)
		if st.len() == 0 {
			return !got.found, st
		}
		last := st.len() - 1
		return got.found && got.event == storedRef{st.at(last), uint64(last + 1)}, st
	case infoInput:
		want := infoOutput{found: st.len() > 0, lastSequence: uint64(st.len()), terminal: st.terminal}
		if !want.found {
			want = infoOutput{}
		}
		return output.(infoOutput) == want, st
	case openListInput:
		return output.(openListOutput).listed == (st.len() > 0 && !st.terminal), st
	}
	panic(fmt.Sprintf("storetest: unknown operation %T", input)) // a bug in this file
}

func (s logState) refsAfter(after uint64) []storedRef {
	var out []storedRef
	for i := int(after); i < s.len(); i++ {
		out = append(out, storedRef{s.at(i), uint64(i + 1)})
	}
	return out
}

// porcupineModel wraps m for the checker.
func (m logModel) porcupineModel() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return logState{} },
		Step: m.step,
		Hash: func(state any) uint64 {
			st := state.(logState)
			h := fnv.New64a()
			_, _ = h.Write([]byte(st.log))
			if st.terminal {
				_, _ = h.Write([]byte{1})
			}
			return h.Sum64()
		},
		DescribeOperation: describeOperation,
		DescribeState: func(state any) string {
			st := state.(logState)
			return fmt.Sprintf("%s terminal=%t", describeRefs(st.refsAfter(0)), st.terminal)
		},
	}
}

// describeOperation renders one operation for failure reports.
func describeOperation(input, output any) string {
	switch in := input.(type) {
	case appendInput:
		expect := ""
		if in.expected != nil {
			expect = fmt.Sprintf(" expecting %d", *in.expected)
		}
		out := output.(appendOutput)
		if out.outcome != stored {
			return fmt.Sprintf("Append(%v%s) → %s", in.batch, expect, out.outcome)
		}
		return fmt.Sprintf("Append(%v%s) → %s", in.batch, expect, describeRefs(out.events))
	case eventsInput:
		return fmt.Sprintf("Events(after %d) → %s", in.after, describeRefs(output.(eventsOutput).events))
	case latestInput:
		out := output.(latestOutput)
		if !out.found {
			return "LatestEvent() → ErrNotFound"
		}
		return fmt.Sprintf("LatestEvent() → %s", describeRefs([]storedRef{out.event}))
	case infoInput:
		out := output.(infoOutput)
		if !out.found {
			return "Execution() → ErrNotFound"
		}
		return fmt.Sprintf("Execution() → last %d terminal=%t", out.lastSequence, out.terminal)
	case openListInput:
		return fmt.Sprintf("ListExecutions(open) lists it: %t", output.(openListOutput).listed)
	}
	return fmt.Sprintf("%v → %v", input, output)
}

func describeRefs(refs []storedRef) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = fmt.Sprintf("%d@%d", r.tok, r.seq)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
