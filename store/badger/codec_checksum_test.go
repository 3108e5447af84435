package badger

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// TestEventChecksumCatchesEveryFlip flips each byte of stored events in
// turn: every flip must give store.ErrCorrupt, never an event. Without the
// checksum, flips inside the payload or a timestamp decode as a different
// event.
func TestEventChecksumCatchesEveryFlip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	for i, ev := range codecCases() {
		enc, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		if enc[0] != eventCodecV2 {
			t.Fatalf("case %d: encoded with version %d, want %d", i, enc[0], eventCodecV2)
		}
		for off := range enc {
			damaged := append([]byte(nil), enc...)
			damaged[off] ^= byte(1 + rnd.IntN(255))
			if _, err := decodeEvent(damaged); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("case %d: byte %d flipped: decode error %v, want ErrCorrupt", i, off, err)
			}
		}
	}
}

// TestVersion1EventsStillRead: events written before checksums existed
// (version 1: the same fields, no CRC) decode unchanged.
func TestVersion1EventsStillRead(t *testing.T) {
	for i, ev := range codecCases() {
		enc, _ := encodeEvent(ev)
		v1 := append([]byte{eventCodecV1}, enc[1:len(enc)-checksumSize]...)
		got, err := decodeEvent(v1)
		if err != nil {
			t.Fatalf("case %d: a version 1 event does not decode: %v", i, err)
		}
		if got.ID != ev.ID || string(got.Payload) != string(ev.Payload) || got.Sequence != ev.Sequence {
			t.Errorf("case %d: version 1 decoded as %+v", i, got)
		}
	}
}

// TestZeroedValueSaysWhy: a value that reads as zeros (what a value pointer
// into a deleted and recreated value-log file gives) says so, instead of
// "codec version 0".
func TestZeroedValueSaysWhy(t *testing.T) {
	_, err := decodeEvent(make([]byte, 300))
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "value-log file") {
		t.Fatalf("decode of zeros = %v, want ErrCorrupt naming the value-log file", err)
	}
}

// TestExecRecordChecksum: a flipped byte in an execution record is
// ErrCorrupt; a version 1 record (no checksum) still reads.
func TestExecRecordChecksum(t *testing.T) {
	rec := execRecord{info: store.ExecutionInfo{ID: uuid.New(), Kind: execution.KindFlow, LastSequence: 7, Terminal: true,
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}, createdPos: 3}
	enc := encodeExecRecord(rec)
	for off := range enc {
		damaged := append([]byte(nil), enc...)
		damaged[off] ^= 0x01
		if _, err := decodeExecRecord(damaged); !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v, want ErrCorrupt", off, err)
		}
	}
	v1 := append([]byte{execCodecV1}, enc[1:len(enc)-checksumSize]...)
	got, err := decodeExecRecord(v1)
	if err != nil || got.info.LastSequence != 7 || !got.info.Terminal || got.createdPos != 3 {
		t.Fatalf("version 1 record = %+v, %v", got, err)
	}
}
