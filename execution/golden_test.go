package execution_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// Golden event logs live in testdata/golden, in the manner of Temporal's
// replay tests: each good file holds the definitions its flow executions
// run, the complete logs of a set of executions, and the state each one
// must derive to; each bad-*.json file holds one log that ValidateLog must
// refuse, and the rule and message it must refuse it with. The logs are
// written the way Python openoma 0.1.0 dumps events (naive, +00:00 and Z
// timestamps; opaque payloads), so they also prove we read its output.

type goldenFile struct {
	Description string                        `json:"description"`
	Flows       []core.Flow                   `json:"flows"`
	Logs        [][]execution.Event           `json:"logs"`
	Expected    map[uuid.UUID]goldenExecution `json:"expected"`
}

type goldenExecution struct {
	State    execution.State `json:"state"`
	Outputs  map[string]any  `json:"outputs"`
	Executor *string         `json:"executor"` // identifier of the current executor; "" for none
}

type badFile struct {
	Description string `json:"description"`
	// Rule is "malformed", "after_terminal" or "decode" (the file does not
	// even decode).
	Rule   string            `json:"rule"`
	Error  string            `json:"error"`
	Events []json.RawMessage `json:"events"`
}

func TestGoldenLogs(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden logs: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "bad-") {
			t.Run(name, func(t *testing.T) { checkBadLog(t, path) })
			continue
		}
		t.Run(name, func(t *testing.T) { checkGoodLog(t, path) })
	}
}

func checkGoodLog(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Expected) == 0 {
		t.Fatalf("%s: no expected states", path)
	}
	for i, log := range g.Logs {
		if err := execution.ValidateLog(log); err != nil {
			t.Fatalf("%s: logs[%d]: %v", path, i, err)
		}
		checkRoundTrip(t, path, log)
	}
	r, err := replay(g.Flows, g.Logs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	checkExpected(t, path, g.Expected, r)

	// The same logs appended to a store, one event at a time in file order,
	// are all accepted and read back to the same states.
	s := memory.New()
	defer s.Close()
	for _, log := range g.Logs {
		for j := range log {
			if _, err := s.Append(t.Context(), log[j:j+1], store.AppendOptions{}); err != nil {
				t.Fatalf("%s: the store refused event %s: %v", path, log[j].ID, err)
			}
		}
	}
	stored := make([][]execution.Event, len(g.Logs))
	for i, log := range g.Logs {
		if stored[i], err = s.Events(t.Context(), log[0].ExecutionID, 0); err != nil {
			t.Fatal(err)
		}
	}
	fromStore, err := replay(g.Flows, stored)
	if err != nil {
		t.Fatalf("%s (from the store): %v", path, err)
	}
	checkExpected(t, path+" (from the store)", g.Expected, fromStore)
}

func checkExpected(t *testing.T, path string, want map[uuid.UUID]goldenExecution, r replayed) {
	t.Helper()
	for id, w := range want {
		got, ok := r.states[id]
		if !ok {
			t.Errorf("%s: expected execution %s has no log", path, id)
			continue
		}
		if got != w.State {
			t.Errorf("%s: execution %s (%s) derived %s, want %s", path, id, r.kinds[id], got, w.State)
		}
		b, isBlock := r.blocks[id]
		if w.Outputs != nil {
			if !isBlock {
				t.Errorf("%s: outputs expected of %s, which is not a block execution", path, id)
			} else if out := b.Outputs(); !reflect.DeepEqual(out, w.Outputs) {
				t.Errorf("%s: block %s outputs %v, want %v", path, id, out, w.Outputs)
			}
		}
		if w.Executor != nil {
			got := ""
			if isBlock && b.Executor() != nil {
				got = b.Executor().Identifier
			}
			if got != *w.Executor {
				t.Errorf("%s: block %s executor %q, want %q", path, id, got, *w.Executor)
			}
		}
	}
}

// checkRoundTrip encodes every event and decodes it again: nothing may
// change, whatever timestamp style the file used.
func checkRoundTrip(t *testing.T, path string, log []execution.Event) {
	t.Helper()
	for _, ev := range log {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("%s: encode %s: %v", path, ev.ID, err)
		}
		var back execution.Event
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("%s: decode %s: %v", path, raw, err)
		}
		if !back.Timestamp.Equal(ev.Timestamp) || back.ID != ev.ID || back.EventType != ev.EventType {
			t.Errorf("%s: event %s changed in a JSON round trip: %s", path, ev.ID, raw)
		}
		var a, b any
		_ = json.Unmarshal(ev.Payload, &a)
		_ = json.Unmarshal(back.Payload, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: event %s payload changed in a JSON round trip", path, ev.ID)
		}
	}
}

func checkBadLog(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bad badFile
	if err := json.Unmarshal(data, &bad); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if bad.Error == "" {
		t.Fatalf("%s: no expected error", path)
	}
	events, decodeErr := decodeEvents(bad.Events)
	if bad.Rule == "decode" {
		if decodeErr == nil || !strings.Contains(decodeErr.Error(), bad.Error) {
			t.Fatalf("%s: decoding = %v, want an error containing %q", path, decodeErr, bad.Error)
		}
		return
	}
	if decodeErr != nil {
		t.Fatalf("%s: %v", path, decodeErr)
	}
	rule := map[string]error{"malformed": execution.ErrMalformedLog, "after_terminal": execution.ErrAfterTerminal}[bad.Rule]
	if rule == nil {
		t.Fatalf("%s: unknown rule %q", path, bad.Rule)
	}
	err = execution.ValidateLog(events)
	if !errors.Is(err, rule) || !strings.Contains(err.Error(), bad.Error) {
		t.Fatalf("%s: ValidateLog = %v, want %v containing %q", path, err, rule, bad.Error)
	}
	// A store refuses the same log in one append — unless the log breaks a
	// rule only stored logs have (its numbering), which a store overwrites.
	if len(events) > 0 && events[0].Sequence != 0 {
		return
	}
	s := memory.New()
	defer s.Close()
	if _, err := s.Append(t.Context(), events, store.AppendOptions{}); !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrFinal) {
		t.Errorf("%s: the store accepted the log (%v)", path, err)
	}
}

func decodeEvents(raws []json.RawMessage) ([]execution.Event, error) {
	out := make([]execution.Event, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("events[%d]: %w", i, err)
		}
	}
	return out, nil
}

// replayed is what a set of logs derives to.
type replayed struct {
	states map[uuid.UUID]execution.State
	kinds  map[uuid.UUID]execution.Kind
	blocks map[uuid.UUID]execution.BlockExecution
}

// replay derives every execution's state from its log and its children's,
// as a host does on recovery: a block from its events (§3.1), a flow from
// its blocks (§3.4), a contract from its work flows and sub-contracts
// (§3.5) — never from its test or assessment flows.
func replay(flows []core.Flow, logs [][]execution.Event) (replayed, error) {
	r := replayed{states: map[uuid.UUID]execution.State{}, kinds: map[uuid.UUID]execution.Kind{}, blocks: map[uuid.UUID]execution.BlockExecution{}}
	created := map[uuid.UUID]execution.Created{}
	byID := map[uuid.UUID][]execution.Event{}
	children := map[uuid.UUID][]uuid.UUID{}
	var order []uuid.UUID
	for _, log := range logs {
		c, err := execution.CreatedOf(log)
		if err != nil {
			return r, err
		}
		id := log[0].ExecutionID
		created[id], byID[id], r.kinds[id] = c, log, c.Kind
		children[c.Parent()] = append(children[c.Parent()], id)
		order = append(order, id)
	}
	var derive func(id uuid.UUID) (execution.State, error)
	derive = func(id uuid.UUID) (execution.State, error) {
		if s, ok := r.states[id]; ok {
			return s, nil
		}
		c := created[id]
		var s execution.State
		switch c.Kind {
		case execution.KindBlock:
			b, err := execution.ProjectBlock(byID[id])
			if err != nil {
				return "", err
			}
			r.blocks[id], s = b, b.State
		case execution.KindFlow:
			def := findFlow(flows, c.FlowID, c.FlowVersion)
			if def == nil {
				return "", fmt.Errorf("flow execution %s runs flow %s v%d, which the file does not define", id, c.FlowID, c.FlowVersion)
			}
			var blocks []execution.BlockExecution
			for _, child := range children[id] {
				if _, err := derive(child); err != nil {
					return "", err
				}
				if b, ok := r.blocks[child]; ok {
					blocks = append(blocks, b)
				}
			}
			s = execution.DeriveFlowState(def, blocks)
		case execution.KindContract:
			var work, subs []execution.State
			for _, child := range children[id] {
				cs, err := derive(child)
				if err != nil {
					return "", err
				}
				switch cc := created[child]; {
				case cc.Kind == execution.KindContract:
					subs = append(subs, cs)
				case cc.Kind == execution.KindFlow && (cc.Role == execution.RoleWork || cc.Role == ""):
					work = append(work, cs)
				}
			}
			s = execution.DeriveContractState(work, subs)
		default:
			// A foreign log: only its own events say anything.
			s = execution.DeriveBlockState(byID[id])
		}
		r.states[id] = s
		return s, nil
	}
	for _, id := range order {
		if _, err := derive(id); err != nil {
			return r, err
		}
	}
	return r, nil
}

func findFlow(flows []core.Flow, id uuid.UUID, version int) *core.Flow {
	for i := range flows {
		if flows[i].ID == id && flows[i].Version == version {
			return &flows[i]
		}
	}
	return nil
}
