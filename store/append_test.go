package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ev(id uuid.UUID, typ execution.EventType) execution.Event {
	return execution.Event{ExecutionID: id, EventType: typ}
}

func TestPrepareAppendNumbersAndFills(t *testing.T) {
	id := uuid.New()
	given := uuid.New()
	zone := time.FixedZone("UTC-3", -3*3600)
	in := []execution.Event{
		{ID: given, ExecutionID: id, EventType: execution.EventProgress, Timestamp: time.Date(2025, 1, 1, 7, 0, 0, 5, zone), Payload: json.RawMessage(`{"a" : 1}`), Position: 99, Sequence: 42},
		ev(id, execution.EventCompleted),
	}
	out, err := store.PrepareAppend(in, store.Tail{LastSequence: 3}, store.AppendOptions{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID != given || out[1].ID == uuid.Nil {
		t.Errorf("ids %s, %s: want the given one kept and a fresh one filled", out[0].ID, out[1].ID)
	}
	if out[0].Sequence != 4 || out[1].Sequence != 5 {
		t.Errorf("sequences %d, %d; want 4, 5 (the caller's 42 is overwritten)", out[0].Sequence, out[1].Sequence)
	}
	if out[0].Position != 0 {
		t.Errorf("position %d; the store assigns it, PrepareAppend clears it", out[0].Position)
	}
	if want := time.Date(2025, 1, 1, 10, 0, 0, 5, time.UTC); out[0].Timestamp != want {
		t.Errorf("timestamp %v, want %v (same instant, in UTC)", out[0].Timestamp, want)
	}
	if out[1].Timestamp != now {
		t.Errorf("missing timestamp filled with %v, want %v", out[1].Timestamp, now)
	}
	if string(out[0].Payload) != `{"a" : 1}` || string(out[1].Payload) != "null" {
		t.Errorf("payloads %q, %q; want the bytes given, and null for none", out[0].Payload, out[1].Payload)
	}
	if in[1].ID != uuid.Nil || in[0].Sequence != 42 {
		t.Errorf("PrepareAppend changed the caller's events")
	}
}

func TestPrepareAppendRejects(t *testing.T) {
	id := uuid.New()
	dup := uuid.New()
	admin := ev(id, execution.EventProgress)
	admin.Metadata = map[string]any{execution.MetadataAdministrative: true}
	badPayload := ev(id, execution.EventProgress)
	badPayload.Payload = json.RawMessage(`{`)
	open := store.Tail{LastSequence: 2}
	final := store.Tail{LastSequence: 3, Terminal: true}
	cases := []struct {
		name   string
		events []execution.Event
		tail   store.Tail
		opts   store.AppendOptions
		want   error
		rule   error // the execution rule wrapped beside the sentinel, if any
		msg    string
	}{
		{"empty batch", nil, store.Tail{}, store.AppendOptions{}, store.ErrInvalid, nil, "no events"},
		{"no execution id", []execution.Event{ev(uuid.Nil, execution.EventCreated)}, store.Tail{}, store.AppendOptions{}, store.ErrInvalid, nil, "no execution_id"},
		{"duplicate id in batch", []execution.Event{{ID: dup, ExecutionID: id, EventType: execution.EventProgress}, {ID: dup, ExecutionID: id, EventType: execution.EventProgress}}, open, store.AppendOptions{}, store.ErrInvalid, nil, "appears twice"},
		{"expected sequence behind", []execution.Event{ev(id, execution.EventProgress)}, open, store.ExpectSequence(1), store.ErrConflict, nil, "expected sequence 1, last is 2"},
		{"expected sequence ahead", []execution.Event{ev(id, execution.EventProgress)}, open, store.ExpectSequence(3), store.ErrConflict, nil, "expected sequence 3, last is 2"},
		{"first not created", []execution.Event{ev(id, execution.EventStarted)}, store.Tail{}, store.AppendOptions{}, store.ErrInvalid, execution.ErrMalformedLog, "first event is started, want created"},
		{"created again", []execution.Event{ev(id, execution.EventCreated)}, open, store.AppendOptions{}, store.ErrInvalid, execution.ErrMalformedLog, "created may only be the first event"},
		{"mixed executions", []execution.Event{ev(id, execution.EventProgress), ev(uuid.New(), execution.EventProgress)}, open, store.AppendOptions{}, store.ErrInvalid, execution.ErrMalformedLog, "a log holds the events of one execution"},
		{"unknown type", []execution.Event{ev(id, "resumed")}, open, store.AppendOptions{}, store.ErrInvalid, execution.ErrMalformedLog, `unknown event type "resumed"`},
		{"payload not JSON", []execution.Event{badPayload}, open, store.AppendOptions{}, store.ErrInvalid, execution.ErrMalformedLog, "payload is not valid JSON"},
		{"after stored terminal", []execution.Event{ev(id, execution.EventProgress)}, final, store.AppendOptions{}, store.ErrFinal, execution.ErrAfterTerminal, "event 4 (progress): progress cannot follow"},
		{"after terminal in batch", []execution.Event{ev(id, execution.EventFailed), admin, ev(id, execution.EventStarted)}, open, store.AppendOptions{}, store.ErrFinal, execution.ErrAfterTerminal, "event 5 (started)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := store.PrepareAppend(c.events, c.tail, c.opts, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("PrepareAppend = %v, want %v", err, c.want)
			}
			if c.rule != nil && !errors.Is(err, c.rule) {
				t.Errorf("error %v does not also wrap %v", err, c.rule)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			if out != nil {
				t.Errorf("rejected batch returned %d events", len(out))
			}
		})
	}
}

func TestPrepareAppendAllowsAdministrativeAfterTerminal(t *testing.T) {
	id := uuid.New()
	note := ev(id, execution.EventExecutorReleased)
	note.Metadata = map[string]any{execution.MetadataAdministrative: true}
	out, err := store.PrepareAppend([]execution.Event{note}, store.Tail{LastSequence: 3, Terminal: true}, store.ExpectSequence(3), now)
	if err != nil || out[0].Sequence != 4 {
		t.Fatalf("PrepareAppend = %v, %v; want sequence 4", out, err)
	}
}

func TestInfoFromCreated(t *testing.T) {
	flowExec, contractExec, def := uuid.New(), uuid.New(), uuid.New()
	cases := []struct {
		name    string
		payload string
		want    store.ExecutionInfo
	}{
		{"block", `{"kind":"block","flow_execution_id":"` + flowExec.String() + `","work_block_id":"` + def.String() + `","work_block_version":2}`,
			store.ExecutionInfo{Kind: execution.KindBlock, Parent: flowExec, DefinitionID: def, DefinitionVersion: 2}},
		{"flow in a contract", `{"kind":"flow","flow_id":"` + def.String() + `","flow_version":5,"parent_execution_id":"` + contractExec.String() + `"}`,
			store.ExecutionInfo{Kind: execution.KindFlow, Parent: contractExec, DefinitionID: def, DefinitionVersion: 5}},
		{"top-level contract", `{"kind":"contract","contract_id":"` + def.String() + `","contract_version":1}`,
			store.ExecutionInfo{Kind: execution.KindContract, DefinitionID: def, DefinitionVersion: 1}},
		{"foreign object", `{"block":"Code Review"}`, store.ExecutionInfo{}},
		{"foreign string", `"hello"`, store.ExecutionInfo{}},
		{"null", `null`, store.ExecutionInfo{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uuid.New()
			got := store.InfoFromCreated(execution.Event{ExecutionID: id, EventType: execution.EventCreated, Timestamp: now, Payload: json.RawMessage(c.payload)})
			c.want.ID, c.want.CreatedAt = id, now
			if got != c.want {
				t.Errorf("InfoFromCreated =\n  %+v\nwant\n  %+v", got, c.want)
			}
		})
	}
}

func TestFilterMatches(t *testing.T) {
	parent, def := uuid.New(), uuid.New()
	info := store.ExecutionInfo{ID: uuid.New(), Kind: execution.KindBlock, Parent: parent, DefinitionID: def}
	done := info
	done.Terminal = true
	cases := []struct {
		name   string
		filter store.Filter
		info   store.ExecutionInfo
		want   bool
	}{
		{"zero filter matches anything", store.Filter{}, done, true},
		{"open only, open", store.Filter{OpenOnly: true}, info, true},
		{"open only, terminal", store.Filter{OpenOnly: true}, done, false},
		{"parent", store.Filter{Parent: parent}, info, true},
		{"other parent", store.Filter{Parent: uuid.New()}, info, false},
		{"definition", store.Filter{DefinitionID: def}, info, true},
		{"other definition", store.Filter{DefinitionID: uuid.New()}, info, false},
		{"kind", store.Filter{Kind: execution.KindBlock}, info, true},
		{"other kind", store.Filter{Kind: execution.KindFlow}, info, false},
		{"all set, all match", store.Filter{OpenOnly: true, Parent: parent, DefinitionID: def, Kind: execution.KindBlock}, info, true},
		{"all set, one differs", store.Filter{OpenOnly: true, Parent: parent, DefinitionID: def, Kind: execution.KindBlock}, done, false},
	}
	for _, c := range cases {
		if got := c.filter.Matches(c.info); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}
