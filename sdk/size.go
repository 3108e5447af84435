package sdk

import (
	"errors"
	"fmt"
)

// MaxPayloadBytes is the most JSON the payloads of one append may hold
// together: MaxMessageBytes less 1 MiB for the events' envelopes. An
// outcome of one 64 MiB string fits; the Emitter refuses a bigger one
// with ErrTooLarge before it is sent, where gRPC would fail it with a raw
// "message larger than max".
const MaxPayloadBytes = MaxMessageBytes - 1<<20

// ErrTooLarge: the events of an append would not fit in one message of the
// plugin protocol (MaxPayloadBytes). Nothing was appended.
var ErrTooLarge = errors.New("too large for one append")

// checkPayloadSize returns an error matching ErrTooLarge when size bytes
// of payload are more than one append carries.
func checkPayloadSize(what string, size int) error {
	if size <= MaxPayloadBytes {
		return nil
	}
	return fmt.Errorf("%w: %s is %s encoded as JSON, over the limit of %s (sdk.MaxPayloadBytes); pass large data by reference (a file path, a URL) instead",
		ErrTooLarge, what, mebibytes(size), mebibytes(MaxPayloadBytes))
}

// checkMessageSize returns an error matching ErrTooLarge when a message
// of size bytes would be more than gRPC lets through (MaxMessageBytes):
// said before sending, instead of gRPC's "message larger than max".
func checkMessageSize(what string, size int) error {
	if size <= MaxMessageBytes {
		return nil
	}
	return fmt.Errorf("%w: %s is %s, over the limit of %s one message between host and plugin carries (sdk.MaxMessageBytes); pass large data by reference (a file path, a URL) instead",
		ErrTooLarge, what, mebibytes(size), mebibytes(MaxMessageBytes))
}

// mebibytes renders n bytes for people: "81.2 MiB".
func mebibytes(n int) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
