package execution_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/memory"
)

// FuzzParseTimestamp: any string either fails with an error or yields a
// time that survives being written as RFC 3339 and read back.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2025-01-01T10:00:00", "2025-01-01T10:00:00+00:00", "2025-01-01 10:00:00.5Z", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := execution.ParseTimestamp(s)
		if err != nil {
			return
		}
		back, err := execution.ParseTimestamp(ts.Format(time.RFC3339Nano))
		if err != nil {
			t.Fatalf("%q parsed to %s, which does not parse again: %v", s, ts, err)
		}
		if !back.Equal(ts) {
			t.Fatalf("%q: %s then %s", s, ts, back)
		}
	})
}

// FuzzEventJSON: any document either fails to decode with an error or
// decodes to an event that encodes and decodes to itself.
func FuzzEventJSON(f *testing.F) {
	f.Add([]byte(pythonEvent))
	f.Add([]byte(`{"event_type":"created","payload":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev execution.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return
		}
		out, err := json.Marshal(ev)
		if err != nil {
			if ev.Timestamp.Year() < 0 || ev.Timestamp.Year() > 9999 {
				return // outside what RFC 3339 can write
			}
			t.Fatalf("decoded %s but cannot encode it: %v", data, err)
		}
		var back execution.Event
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("cannot decode our own encoding %s: %v", out, err)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(out) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, again)
		}
	})
}

// FuzzValidateLog: any list of events either decodes or not; a decoded
// log is judged without panicking, derivation never panics, and
// ValidateLog and a store agree on whether it is acceptable.
func FuzzValidateLog(f *testing.F) {
	f.Add([]byte(`[` + pythonEvent + `]`))
	f.Add([]byte(`[{"id":"3f1a1c2e-8d0b-4c59-9a53-5f2f0b7f6a11","execution_id":"0b6e7c52-1f9a-4e0e-8a55-6a9d3d9a2b22","event_type":"created","timestamp":"2025-01-01T10:00:00"},` +
		`{"id":"3f1a1c2e-8d0b-4c59-9a53-5f2f0b7f6a12","execution_id":"0b6e7c52-1f9a-4e0e-8a55-6a9d3d9a2b22","event_type":"completed","timestamp":"2025-01-01T10:00:01"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var log []execution.Event
		if err := json.Unmarshal(data, &log); err != nil {
			return
		}
		verr := execution.ValidateLog(log)
		_ = execution.DeriveBlockState(log)
		if b, err := execution.ProjectBlock(log); err == nil {
			_, _, _ = b.Outputs(), b.Executor(), b.FailureReason()
		}
		if verr != nil {
			var le *execution.LogError
			if !errors.As(verr, &le) || le.Message == "" {
				t.Fatalf("ValidateLog error %v is not a LogError with a message", verr)
			}
			return
		}
		for i := range log {
			log[i].Sequence, log[i].Position = 0, 0
		}
		s := memory.New()
		defer s.Close()
		stored, err := s.Append(t.Context(), log, store.AppendOptions{})
		if err != nil {
			t.Fatalf("ValidateLog accepted the log, the store refused it: %v", err)
		}
		if got, want := execution.DeriveBlockState(stored), execution.DeriveBlockState(log); got != want {
			t.Fatalf("stored log derives %s, the original %s", got, want)
		}
		if !reflect.DeepEqual(len(stored), len(log)) {
			t.Fatalf("stored %d of %d events", len(stored), len(log))
		}
	})
}
