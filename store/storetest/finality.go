package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

var terminalTypes = []execution.EventType{
	execution.EventCompleted, execution.EventFailed, execution.EventSkipped, execution.EventCancelled,
}

func finalityProperties() []property {
	return []property{
		{"Finality/NothingAfterTerminal", testNothingAfterTerminal},
		{"Finality/AdministrativeAllowedAfterTerminal", testAdministrativeAfterTerminal},
		{"Finality/TerminalAndMoreInOneBatch", testTerminalAndMoreInOneBatch},
		{"Finality/OpenUntilTerminal", testOpenUntilTerminal},
	}
}

func testNothingAfterTerminal(t *testing.T, s store.EventStore) {
	for _, term := range terminalTypes {
		t.Run(string(term), func(t *testing.T) {
			l := newLog()
			mustAppend(t, s, batch(l.created(), l.event(execution.EventStarted, "")))
			mustAppend(t, s, batch(l.event(term, `{"reason":"done"}`)))
			notAdmin := l.event(execution.EventProgress, `{}`)
			notAdmin.Metadata = map[string]any{execution.MetadataAdministrative: false}
			for _, next := range []execution.Event{
				l.event(execution.EventStarted, ""),
				l.progress(1),
				notAdmin,
				l.event(execution.EventOutcomeProduced, `{"x":1}`),
				l.event(execution.EventCompleted, ""),
				l.event(execution.EventFailed, ""),
				l.event(execution.EventCancelled, ""),
				l.event(execution.EventExecutorReleased, ""),
			} {
				err := mustFail(t, s, batch(next), store.AppendOptions{}, store.ErrFinal)
				if !strings.Contains(err.Error(), string(next.EventType)) {
					t.Errorf("error %q does not name the refused event type %s", err, next.EventType)
				}
			}
			// ErrFinal is about the log's state, whatever the expectation.
			mustFail(t, s, batch(l.progress(2)), store.ExpectSequence(3), store.ErrFinal)
		})
	}
}

func testAdministrativeAfterTerminal(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created(), l.event(execution.EventStarted, ""), l.event(execution.EventFailed, `{"reason":"boom"}`)))
	out := mustAppend(t, s, batch(
		l.administrative(execution.EventProgress),
		l.administrative(execution.EventExecutorReleased),
		l.administrative(execution.EventExecutorAssigned),
	))
	if out[2].Sequence != 6 {
		t.Errorf("administrative events numbered up to %d, want 6", out[2].Sequence)
	}
	info, err := s.Execution(t.Context(), l.id)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Terminal || info.LastSequence != 6 {
		t.Errorf("Execution = terminal %v, last sequence %d; want terminal, 6", info.Terminal, info.LastSequence)
	}
	if got := execution.DeriveBlockState(mustEvents(t, s, l.id, 0)); got != execution.StateFailed {
		t.Errorf("derived state %s after administrative events, want failed", got)
	}
}

func testTerminalAndMoreInOneBatch(t *testing.T, s store.EventStore) {
	for i, b := range []func(l *logBuilder) []execution.Event{
		func(l *logBuilder) []execution.Event {
			return batch(l.event(execution.EventCompleted, ""), l.progress(1))
		},
		func(l *logBuilder) []execution.Event {
			return batch(l.event(execution.EventStarted, ""), l.event(execution.EventFailed, ""), l.event(execution.EventCompleted, ""))
		},
		func(l *logBuilder) []execution.Event {
			return batch(l.event(execution.EventSkipped, ""), l.event(execution.EventOutcomeProduced, `{}`))
		},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := newLog()
			mustAppend(t, s, batch(l.created()))
			mustFail(t, s, b(l), store.AppendOptions{}, store.ErrFinal)
		})
	}
	// A terminal event followed by administrative ones is one valid batch.
	l := newLog()
	mustAppend(t, s, batch(l.created(), l.event(execution.EventCancelled, ""), l.administrative(execution.EventProgress)))
	// So is a whole log from created to terminal.
	w := newLog()
	mustAppend(t, s, batch(w.created(), w.event(execution.EventStarted, ""), w.event(execution.EventCompleted, "")))
}

func testOpenUntilTerminal(t *testing.T, s store.EventStore) {
	l := newLog()
	mustAppend(t, s, batch(l.created(), l.event(execution.EventStarted, "")))
	info, err := s.Execution(t.Context(), l.id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Terminal {
		t.Errorf("execution without a terminal event reported terminal")
	}
	mustAppend(t, s, batch(l.event(execution.EventCompleted, "")))
	if info, err = s.Execution(t.Context(), l.id); err != nil {
		t.Fatal(err)
	}
	if !info.Terminal || info.LastSequence != 3 {
		t.Errorf("Execution = terminal %v, last sequence %d; want terminal, 3", info.Terminal, info.LastSequence)
	}
}
