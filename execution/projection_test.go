package execution_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
)

func TestProjectBlock(t *testing.T) {
	execID, slot, blockID := uuid.New(), uuid.New(), uuid.New()
	alice := &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "alice"}
	bot := &execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: "bot-1"}
	ev := func(typ execution.EventType, sec int, x *execution.ExecutorInfo, payload string) execution.Event {
		var raw json.RawMessage
		if payload != "" {
			raw = json.RawMessage(payload)
		}
		return execution.Event{ID: uuid.New(), ExecutionID: execID, EventType: typ, Timestamp: t0.Add(time.Duration(sec) * time.Second), Executor: x, Payload: raw}
	}
	created, _ := json.Marshal(execution.Created{
		Kind: execution.KindBlock, NodeReferenceID: slot, WorkBlockID: blockID, WorkBlockVersion: 4,
		Inputs: map[string]any{"ticket": "OPS-1"}, Attempt: 2,
	})
	log := []execution.Event{
		ev(execution.EventCreated, 0, nil, string(created)),
		ev(execution.EventExecutorAssigned, 1, bot, ""),
		ev(execution.EventStarted, 2, bot, ""),
		ev(execution.EventOutcomeProduced, 3, bot, `{"summary":"draft","score":1}`),
		ev(execution.EventExecutorReleased, 4, bot, ""),
		ev(execution.EventExecutorAssigned, 5, alice, ""),
		ev(execution.EventOutcomeProduced, 6, alice, `{"summary":"final"}`),
		ev(execution.EventFailed, 7, alice, `{"reason":"reviewer rejected it","code":"rejected"}`),
	}
	b, err := execution.ProjectBlock(log)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != execID || b.NodeReferenceID != slot || b.WorkBlockID != blockID || b.WorkBlockVersion != 4 {
		t.Errorf("identity = %+v", b)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"State", b.State, failed},
		{"Attempt", b.Attempt(), 2},
		{"Inputs", b.Inputs(), map[string]any{"ticket": "OPS-1"}},
		{"Outputs (later outcome wins per port)", b.Outputs(), map[string]any{"summary": "final", "score": 1.0}},
		{"Executor (after handoff)", b.Executor(), alice},
		{"StartedAt", b.StartedAt(), t0.Add(2 * time.Second)},
		{"EndedAt", b.EndedAt(), t0.Add(7 * time.Second)},
		{"FailureReason", b.FailureReason(), "reviewer rejected it"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestProjectBlockDefaults(t *testing.T) {
	// A created payload without attempt, a log that has not started, an
	// executor released and not replaced.
	log := blockLog(uuid.New(), uuid.New(), 0, execution.EventExecutorAssigned, execution.EventExecutorReleased)
	log[1].Executor = &execution.ExecutorInfo{Type: execution.ExecutorSystem, Identifier: "ci"}
	b, err := execution.ProjectBlock(log)
	if err != nil {
		t.Fatal(err)
	}
	if b.Attempt() != 1 {
		t.Errorf("Attempt = %d, want 1 when the created event records none", b.Attempt())
	}
	if b.Executor() != nil {
		t.Errorf("Executor = %+v, want nil after release", b.Executor())
	}
	if !b.StartedAt().IsZero() || !b.EndedAt().IsZero() {
		t.Errorf("StartedAt %v, EndedAt %v: want zero times for a pending block", b.StartedAt(), b.EndedAt())
	}
	if len(b.Outputs()) != 0 || b.FailureReason() != "" {
		t.Errorf("Outputs %v, FailureReason %q: want none", b.Outputs(), b.FailureReason())
	}
}

func TestProjectBlockRejects(t *testing.T) {
	flowCreated, _ := json.Marshal(execution.Created{Kind: execution.KindFlow})
	id := uuid.New()
	cases := []struct {
		name string
		log  []execution.Event
		want string
	}{
		{"empty log", nil, "no created event"},
		{"not created first", []execution.Event{{ExecutionID: id, EventType: execution.EventStarted}}, "first event is started, want created"},
		{"a flow's log", []execution.Event{{ExecutionID: id, EventType: execution.EventCreated, Payload: flowCreated}}, "is a flow execution, not a block execution"},
		{"created payload of the wrong shape", []execution.Event{{ExecutionID: id, EventType: execution.EventCreated, Payload: json.RawMessage(`{"kind":7}`)}}, "payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := execution.ProjectBlock(c.log)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ProjectBlock = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
