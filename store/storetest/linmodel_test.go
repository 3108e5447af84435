package storetest

import (
	"slices"
	"testing"

	"github.com/anishathalye/porcupine"

	"github.com/openoma/openoma/execution"
)

// The model's events, by token.
const (
	tCreated token = iota
	tCreated2
	tProgress
	tProgress2
	tCompleted
	tAdmin
	tBadPayload
	tUnknownType
	tBadPayloadAdmin
)

func testModel() logModel {
	return logModel{events: []modelEvent{
		tCreated:         {typ: execution.EventCreated, validPayload: true},
		tCreated2:        {typ: execution.EventCreated, validPayload: true},
		tProgress:        {typ: execution.EventProgress, validPayload: true},
		tProgress2:       {typ: execution.EventProgress, validPayload: true},
		tCompleted:       {typ: execution.EventCompleted, validPayload: true},
		tAdmin:           {typ: execution.EventProgress, administrative: true, validPayload: true},
		tBadPayload:      {typ: execution.EventProgress},
		tUnknownType:     {typ: "restarted", validPayload: true},
		tBadPayloadAdmin: {typ: execution.EventProgress, administrative: true},
	}}
}

func stateOf(m logModel, toks ...token) logState {
	var st logState
	for _, tok := range toks {
		st = st.with(tok, m.events[tok].typ.IsTerminal())
	}
	return st
}

func seq(n uint64) *uint64 { return &n }

func TestModelJudgesAppends(t *testing.T) {
	m := testModel()
	cases := []struct {
		name     string
		log      []token
		in       appendInput
		want     outcome
		wantRefs []storedRef
	}{
		{"created starts a log", nil, appendInput{batch: []token{tCreated}}, stored, []storedRef{{tCreated, 1}}},
		{"a batch is numbered in order", nil, appendInput{batch: []token{tCreated, tProgress}, expected: seq(0)}, stored, []storedRef{{tCreated, 1}, {tProgress, 2}}},
		{"a log must start with created", nil, appendInput{batch: []token{tProgress}}, refusedInvalid, nil},
		{"created only first", []token{tCreated}, appendInput{batch: []token{tCreated2}}, refusedInvalid, nil},
		{"stale expectation", []token{tCreated}, appendInput{batch: []token{tProgress}, expected: seq(0)}, refusedConflict, nil},
		{"early expectation", []token{tCreated}, appendInput{batch: []token{tProgress}, expected: seq(2)}, refusedConflict, nil},
		{"matching expectation", []token{tCreated}, appendInput{batch: []token{tProgress}, expected: seq(1)}, stored, []storedRef{{tProgress, 2}}},
		{"retry wins over a stale expectation", []token{tCreated, tProgress}, appendInput{batch: []token{tCreated}, expected: seq(0)}, stored, []storedRef{{tCreated, 1}}},
		{"retry after terminal", []token{tCreated, tCompleted}, appendInput{batch: []token{tCreated}}, stored, []storedRef{{tCreated, 1}}},
		{"retry of a batch twice over", []token{tCreated}, appendInput{batch: []token{tCreated, tCreated}}, stored, []storedRef{{tCreated, 1}, {tCreated, 1}}},
		{"partly stored batch", []token{tCreated}, appendInput{batch: []token{tCreated, tProgress}}, refusedInvalid, nil},
		{"an event twice", []token{tCreated}, appendInput{batch: []token{tProgress, tProgress}}, refusedInvalid, nil},
		{"empty batch", []token{tCreated}, appendInput{}, refusedInvalid, nil},
		{"after terminal", []token{tCreated, tCompleted}, appendInput{batch: []token{tProgress}}, refusedFinal, nil},
		{"terminal earlier in the batch", []token{tCreated}, appendInput{batch: []token{tCompleted, tProgress}}, refusedFinal, nil},
		{"administrative after terminal", []token{tCreated, tCompleted}, appendInput{batch: []token{tAdmin}}, stored, []storedRef{{tAdmin, 3}}},
		{"payload not JSON", []token{tCreated}, appendInput{batch: []token{tBadPayload}}, refusedInvalid, nil},
		{"finality is judged before the payload", []token{tCreated, tCompleted}, appendInput{batch: []token{tBadPayload}}, refusedFinal, nil},
		{"administrative with a bad payload", []token{tCreated, tCompleted}, appendInput{batch: []token{tBadPayloadAdmin}}, refusedInvalid, nil},
		{"unknown type", []token{tCreated}, appendInput{batch: []token{tUnknownType}}, refusedInvalid, nil},
		{"created after terminal is malformed, not final", []token{tCreated, tCompleted}, appendInput{batch: []token{tCreated2}}, refusedInvalid, nil},
		{"a refused batch stores none of it", []token{tCreated}, appendInput{batch: []token{tProgress, tCreated2}}, refusedInvalid, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := stateOf(m, c.log...)
			after, out := m.judgeAppend(before, c.in)
			if out.outcome != c.want || !slices.Equal(out.events, c.wantRefs) {
				t.Fatalf("judgeAppend = %s %s, want %s %s", out.outcome, describeRefs(out.events), c.want, describeRefs(c.wantRefs))
			}
			wantAfter := before
			if c.want == stored && before.seqOf(c.in.batch[0]) == 0 {
				wantAfter = stateOf(m, append(slices.Clone(c.log), c.in.batch...)...)
			}
			if after != wantAfter {
				t.Errorf("state after = %s, want %s",
					describeRefs(after.refsAfter(0)), describeRefs(wantAfter.refsAfter(0)))
			}
		})
	}
}

// TestModelCheck checks small concurrent histories whose verdict is known,
// among them the one issue 9 found on the Badger store: a conflict caused
// by an append that the refused client's next read does not see.
func TestModelCheck(t *testing.T) {
	op := func(client int, call, ret int64, in, out any) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: in, Output: out}
	}
	created := appendOutput{outcome: stored, events: []storedRef{{tCreated, 1}}}
	conflict := appendOutput{outcome: refusedConflict}
	cases := []struct {
		name string
		ops  []porcupine.Operation
		want bool
	}{
		{"refusal seen through by the next read", []porcupine.Operation{
			op(0, 0, 10, appendInput{batch: []token{tCreated}}, created),
			op(1, 1, 2, appendInput{batch: []token{tCreated2}, expected: seq(0)}, conflict),
			op(1, 3, 4, latestInput{}, latestOutput{}),
		}, false},
		{"refusal and a read that sees its cause", []porcupine.Operation{
			op(0, 0, 10, appendInput{batch: []token{tCreated}}, created),
			op(1, 1, 2, appendInput{batch: []token{tCreated2}, expected: seq(0)}, conflict),
			op(1, 3, 4, latestInput{}, latestOutput{found: true, event: storedRef{tCreated, 1}}),
		}, true},
		{"acknowledged append missing from a later read", []porcupine.Operation{
			op(0, 0, 1, appendInput{batch: []token{tCreated}}, created),
			op(1, 2, 3, eventsInput{}, eventsOutput{}),
		}, false},
		{"concurrent read may miss an append", []porcupine.Operation{
			op(0, 0, 3, appendInput{batch: []token{tCreated}}, created),
			op(1, 1, 2, infoInput{}, infoOutput{}),
		}, true},
		{"two racing creators both stored", []porcupine.Operation{
			op(0, 0, 3, appendInput{batch: []token{tCreated}}, created),
			op(1, 0, 3, appendInput{batch: []token{tCreated2}}, appendOutput{outcome: stored, events: []storedRef{{tCreated2, 1}}}),
		}, false},
		{"terminal seen as open after it was acknowledged", []porcupine.Operation{
			op(0, 0, 1, appendInput{batch: []token{tCreated, tCompleted}}, appendOutput{outcome: stored, events: []storedRef{{tCreated, 1}, {tCompleted, 2}}}),
			op(1, 2, 3, infoInput{}, infoOutput{found: true, lastSequence: 2}),
		}, false},
		{"ended execution still listed open", []porcupine.Operation{
			op(0, 0, 1, appendInput{batch: []token{tCreated, tCompleted}}, appendOutput{outcome: stored, events: []storedRef{{tCreated, 1}, {tCompleted, 2}}}),
			op(1, 2, 3, openListInput{}, openListOutput{listed: true}),
		}, false},
		{"open execution listed while its end is in flight", []porcupine.Operation{
			op(0, 0, 1, appendInput{batch: []token{tCreated}}, created),
			op(0, 2, 5, appendInput{batch: []token{tCompleted}}, appendOutput{outcome: stored, events: []storedRef{{tCompleted, 2}}}),
			op(1, 3, 4, openListInput{}, openListOutput{listed: true}),
		}, true},
	}
	model := testModel().porcupineModel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(model, c.ops); got != c.want {
				t.Errorf("linearizable = %t, want %t", got, c.want)
			}
		})
	}
}
