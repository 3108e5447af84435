package badger

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

func codecCases() []execution.Event {
	id, exec := uuid.MustParse("6f1c7a52-3a43-4b5e-9c1e-1d1f3c0b7a11"), uuid.MustParse("0b7f3d8e-2c3a-4d9a-8f7e-5a6b7c8d9e0f")
	ts := time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.UTC)
	return []execution.Event{
		{ID: id, ExecutionID: exec, Timestamp: ts, EventType: execution.EventCreated, Payload: json.RawMessage(`{"kind":"block"}`), Sequence: 1, Position: 1},
		{ // payload bytes kept verbatim, whitespace and key order included
			ID: id, ExecutionID: exec, Timestamp: ts, EventType: execution.EventProgress,
			Payload:  json.RawMessage("{ \"z\" : 1,\n \"a\": [1, 2.50, \"\\u00e9\"] }"),
			Metadata: map[string]any{execution.MetadataAdministrative: true, "n": 3.0},
			Executor: &execution.ExecutorInfo{Type: execution.ExecutorAgent, Identifier: "a-1", Metadata: map[string]any{"model": "x"}},
			Sequence: 1 << 40, Position: 1<<63 + 5,
		},
		{ // nil executor metadata, empty (non-nil) metadata
			ID: id, ExecutionID: exec, Timestamp: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), EventType: execution.EventFailed,
			Payload: json.RawMessage(`null`), Metadata: map[string]any{},
			Executor: &execution.ExecutorInfo{Type: execution.ExecutorHuman, Identifier: "ann"},
		},
	}
}

func TestEventCodecRoundTrip(t *testing.T) {
	for i, ev := range codecCases() {
		enc, err := encodeEvent(ev)
		if err != nil {
			t.Fatalf("case %d: encode: %v", i, err)
		}
		got, err := decodeEvent(enc)
		if err != nil {
			t.Fatalf("case %d: decode: %v", i, err)
		}
		if !bytes.Equal(got.Payload, ev.Payload) {
			t.Errorf("case %d: payload %q, want %q byte for byte", i, got.Payload, ev.Payload)
		}
		if !got.Timestamp.Equal(ev.Timestamp) || got.Timestamp.Location() != time.UTC {
			t.Errorf("case %d: timestamp %v, want %v in UTC", i, got.Timestamp, ev.Timestamp)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(ev)
		if !bytes.Equal(gj, wj) {
			t.Errorf("case %d: decoded\n%s\nwant\n%s", i, gj, wj)
		}
		again, _ := encodeEvent(got)
		if !bytes.Equal(again, enc) {
			t.Errorf("case %d: re-encoding the decoded event changed its stored bytes", i)
		}
	}
}

func TestEncodeRejectsUnencodableMetadata(t *testing.T) {
	ev := codecCases()[0]
	ev.Metadata = map[string]any{"ch": make(chan int)}
	if _, err := encodeEvent(ev); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("encode = %v, want ErrInvalid", err)
	}
}

func TestExecRecordRoundTrip(t *testing.T) {
	rec := execRecord{
		info: store.ExecutionInfo{
			ID: uuid.New(), Kind: execution.KindFlow, Parent: uuid.New(), DefinitionID: uuid.New(),
			DefinitionVersion: 7, LastSequence: 42, Terminal: true, CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		},
		createdPos: 99,
	}
	got, err := decodeExecRecord(encodeExecRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	if got.info.CreatedAt.Equal(rec.info.CreatedAt) {
		got.info.CreatedAt = rec.info.CreatedAt
	}
	if got != rec {
		t.Errorf("decoded %+v, want %+v", got, rec)
	}
}

// FuzzDecodeEvent feeds arbitrary stored bytes to the decoder: it must
// return an error or an event that re-encodes to the same bytes, and never
// panic.
func FuzzDecodeEvent(f *testing.F) {
	for _, ev := range codecCases() {
		enc, _ := encodeEvent(ev)
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(b)
		if err != nil {
			if !errors.Is(err, errCorruptValue) {
				t.Fatalf("decode error %v is not errCorruptValue", err)
			}
			return
		}
		if _, err := encodeEvent(ev); err != nil {
			t.Fatalf("a decoded event does not encode: %v", err)
		}
	})
}

// FuzzDecodeExecRecord does the same for execution records.
func FuzzDecodeExecRecord(f *testing.F) {
	f.Add(encodeExecRecord(execRecord{info: store.ExecutionInfo{ID: uuid.New(), Kind: "block"}, createdPos: 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := decodeExecRecord(b); err != nil && !errors.Is(err, errCorruptValue) {
			t.Fatalf("decode error %v is not errCorruptValue", err)
		}
	})
}
