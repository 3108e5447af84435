package sdk

import (
	"bytes"
	"context"

	"github.com/openoma/openoma/execution"
)

// ProgressWaiting is the "type" of the progress payload (WaitingPayload)
// by which a block says it now waits for something outside the plugin — a
// person, a timer, a signal, an external system's callback — rather than
// doing work.
//
// The host bounds each plugin's blocks in flight by its max_concurrency.
// A block holds one of those slots from dispatch until it records a
// waiting event (or ends, whichever comes first): from then on it counts
// as waiting, not as work, and the slot goes to the next block, so a
// plugin whose tasks wait days for people needs no huge limit. The rule
// is one way: a block that waited and works again (after its person
// answered, say) does not take a slot back — it finishes outside the
// bound. Record waiting only when the work left is small, or end the
// block and let the flow start a new one for the heavy part.
//
// The host reads the event from the block's log, so the rule survives
// restarts: a block resumed after a crash holds no slot once its log says
// it waits.
const ProgressWaiting = "waiting"

// WaitingPayload is the payload of a waiting progress event.
type WaitingPayload struct {
	Type string `json:"type"` // ProgressWaiting
	// For says what the block waits for, for people reading the log:
	// "person", "timer", "signal", or a word of the plugin's own.
	For string `json:"for,omitempty"`
	// Reason is a sentence for people: "review by the reviewers group".
	Reason string `json:"reason,omitempty"`
}

// Waiting records that the block now waits (see ProgressWaiting): what it
// waits for ("person", "timer", …) and why. It is a progress event (see
// Progress): during Run it records the start first if need be and is a
// checkpoint.
// Record it once per block: a repeat is harmless but only costs an append.
func (e *Emitter) Waiting(ctx context.Context, waitsFor, reason string) error {
	return e.Progress(ctx, WaitingPayload{Type: ProgressWaiting, For: waitsFor, Reason: reason})
}

// waitingMarker is in every waiting payload's encoding; IsWaiting looks
// for it before decoding, so the host's subscription pays almost nothing
// for the progress events that are not waiting (streamed output, tasks).
var waitingMarker = []byte(`"` + ProgressWaiting + `"`)

// IsWaiting reports whether ev is a waiting progress event.
func IsWaiting(ev *execution.Event) bool {
	if ev.EventType != execution.EventProgress || !bytes.Contains(ev.Payload, waitingMarker) {
		return false
	}
	var p struct {
		Type string `json:"type"`
	}
	return ev.DecodePayload(&p) == nil && p.Type == ProgressWaiting
}

// Waits reports whether a block's log records that it waits (a waiting
// progress event and no terminal event after it).
func Waits(events []execution.Event) bool {
	waits := false
	for i := range events {
		switch {
		case events[i].EventType.IsTerminal():
			return false
		case IsWaiting(&events[i]):
			waits = true
		}
	}
	return waits
}
