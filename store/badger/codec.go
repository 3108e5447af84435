package badger

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
)

// Stored events use a small binary envelope rather than the event's JSON:
//
//	version(1) id(16) execution(16) uvarint sequence, uvarint position,
//	blob timestamp (time.MarshalBinary), blob event type,
//	opt executor (JSON), blob payload (verbatim), opt metadata (JSON)
//
// where blob is uvarint length + bytes and opt is uvarint (length+1) + bytes
// with 0 meaning nil. Why not the event's JSON: encoding/json re-compacts a
// json.RawMessage, so the payload would not read back byte-identical, and
// the fixed fields (two UUIDs, two integers, a timestamp) take a third of
// the space in binary and decode without a JSON parser. Why not protobuf:
// payload and metadata are free-form JSON (map[string]any), which
// protobuf's Struct cannot carry faithfully (every number becomes a
// double), so they would stay JSON inside it anyway.
//
// Version 2 (what this code writes) is version 1 followed by a CRC-32C
// (Castagnoli, big-endian) of every byte before it, version byte included:
// Badger checksums its blocks and value-log entries, but only where a read
// asks it to, and a value that decodes is not proof that it is the value
// that was stored. Version 1 events (written before checksums) still read;
// they are checked by their structure only.
const (
	eventCodecV1 = 1
	eventCodecV2 = 2
)

// checksumSize is the length of the CRC-32C that ends a version 2 event.
const checksumSize = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorruptValue marks a stored value that does not decode or fails its
// checksum; it is a store.ErrCorrupt.
var errCorruptValue = fmt.Errorf("%w: stored value", store.ErrCorrupt)

func encodeEvent(ev execution.Event) ([]byte, error) {
	ts, err := ev.Timestamp.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: timestamp: %w", store.ErrInvalid, ev.ID, err)
	}
	var executor []byte
	if ev.Executor != nil {
		if executor, err = json.Marshal(ev.Executor); err != nil {
			return nil, fmt.Errorf("%w: event %s: executor: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	var metadata []byte
	if ev.Metadata != nil {
		if metadata, err = json.Marshal(ev.Metadata); err != nil {
			return nil, fmt.Errorf("%w: event %s: metadata: %w", store.ErrInvalid, ev.ID, err)
		}
	}
	b := make([]byte, 0, 33+2*binary.MaxVarintLen64+len(ts)+len(ev.EventType)+len(executor)+len(ev.Payload)+len(metadata)+5*binary.MaxVarintLen32+checksumSize)
	b = append(b, eventCodecV2)
	b = append(b, ev.ID[:]...)
	b = append(b, ev.ExecutionID[:]...)
	b = binary.AppendUvarint(b, ev.Sequence)
	b = binary.AppendUvarint(b, ev.Position)
	b = appendBlob(b, ts)
	b = appendBlob(b, []byte(ev.EventType))
	b = appendOpt(b, executor, ev.Executor != nil)
	b = appendBlob(b, ev.Payload)
	b = appendOpt(b, metadata, ev.Metadata != nil)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

func decodeEvent(b []byte) (execution.Event, error) {
	body, err := checkedBody(b, eventCodecV2)
	if err != nil {
		return execution.Event{}, err
	}
	var ev execution.Event
	r := reader{b: body, off: 1}
	ev.ID = r.uuid()
	ev.ExecutionID = r.uuid()
	ev.Sequence = r.uvarint()
	ev.Position = r.uvarint()
	ts := r.blob()
	ev.EventType = execution.EventType(r.blob())
	executor, hasExecutor := r.opt()
	ev.Payload = append([]byte(nil), r.blob()...)
	metadata, hasMetadata := r.opt()
	if r.err != nil {
		return execution.Event{}, r.err
	}
	if r.rest() != 0 {
		return execution.Event{}, fmt.Errorf("%w: %d trailing bytes after event", errCorruptValue, r.rest())
	}
	if err := ev.Timestamp.UnmarshalBinary(ts); err != nil {
		return execution.Event{}, fmt.Errorf("%w: event %s: timestamp: %w", errCorruptValue, ev.ID, err)
	}
	if hasExecutor {
		ev.Executor = new(execution.ExecutorInfo)
		if err := json.Unmarshal(executor, ev.Executor); err != nil {
			return execution.Event{}, fmt.Errorf("%w: event %s: executor: %w", errCorruptValue, ev.ID, err)
		}
	}
	if hasMetadata {
		if err := json.Unmarshal(metadata, &ev.Metadata); err != nil {
			return execution.Event{}, fmt.Errorf("%w: event %s: metadata: %w", errCorruptValue, ev.ID, err)
		}
		if ev.Metadata == nil {
			ev.Metadata = map[string]any{}
		}
	}
	return ev, nil
}

// execRecord is the stored summary of one execution: what the indexes
// need, plus the tail the writer checks appends against.
type execRecord struct {
	info       store.ExecutionInfo
	createdPos uint64
}

// Execution records: version 2 adds the same trailing CRC-32C as events
// (the engine trusts a record's tail and terminal flag); version 1
// records, written before, still read.
const (
	execCodecV1 = 1
	execCodecV2 = 2
)

func encodeExecRecord(rec execRecord) []byte {
	created, _ := rec.info.CreatedAt.MarshalBinary()
	b := make([]byte, 0, 64+len(rec.info.Kind)+len(created))
	b = append(b, execCodecV2)
	b = append(b, rec.info.ID[:]...)
	b = appendBlob(b, []byte(rec.info.Kind))
	b = append(b, rec.info.Parent[:]...)
	b = append(b, rec.info.DefinitionID[:]...)
	b = binary.AppendVarint(b, int64(rec.info.DefinitionVersion))
	b = appendBlob(b, created)
	b = binary.AppendUvarint(b, rec.createdPos)
	b = binary.AppendUvarint(b, rec.info.LastSequence)
	terminal := byte(0)
	if rec.info.Terminal {
		terminal = 1
	}
	b = append(b, terminal)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeExecRecord(b []byte) (execRecord, error) {
	var rec execRecord
	if len(b) > 0 && b[0] == execCodecV2 {
		body, err := checkedBody(b, execCodecV2)
		if err != nil {
			return rec, fmt.Errorf("execution record: %w", err)
		}
		b = body
	} else if len(b) == 0 || b[0] != execCodecV1 {
		v := -1
		if len(b) > 0 {
			v = int(b[0])
		}
		return rec, fmt.Errorf("%w: execution codec version %d, this version reads %d and %d", errCorruptValue, v, execCodecV1, execCodecV2)
	}
	r := reader{b: b, off: 1}
	rec.info.ID = r.uuid()
	rec.info.Kind = execution.Kind(r.blob())
	rec.info.Parent = r.uuid()
	rec.info.DefinitionID = r.uuid()
	rec.info.DefinitionVersion = int(r.varint())
	created := r.blob()
	rec.createdPos = r.uvarint()
	rec.info.LastSequence = r.uvarint()
	rec.info.Terminal = r.byte() == 1
	if r.err != nil {
		return execRecord{}, r.err
	}
	if r.rest() != 0 {
		return execRecord{}, fmt.Errorf("%w: %d trailing bytes after execution record", errCorruptValue, r.rest())
	}
	if err := rec.info.CreatedAt.UnmarshalBinary(created); err != nil {
		return execRecord{}, fmt.Errorf("%w: execution %s: created_at: %w", errCorruptValue, rec.info.ID, err)
	}
	return rec, nil
}

// checkedBody checks a stored value's version and, for the checksummed
// version, its checksum, and returns the bytes to decode (version byte
// included, the checksum not).
func checkedBody(b []byte, checksummed byte) ([]byte, error) {
	if len(b) == 0 {
		// A stored value is never empty; Badger hands back an empty one
		// for a value pointer into a value-log file it recreated.
		return nil, fmt.Errorf("%w: the value reads as empty (its value-log file was probably deleted, truncated or replaced)", errCorruptValue)
	}
	switch b[0] {
	case eventCodecV1:
		return b, nil
	case checksummed:
		if len(b) < 1+checksumSize {
			return nil, fmt.Errorf("%w: %d bytes, too short for a checksummed event", errCorruptValue, len(b))
		}
		n := len(b) - checksumSize
		want, got := binary.BigEndian.Uint32(b[n:]), crc32.Checksum(b[:n], castagnoli)
		if want != got {
			return nil, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x over %d bytes)", errCorruptValue, want, got, n)
		}
		return b[:n], nil
	case 0:
		if allZero(b) {
			return nil, fmt.Errorf("%w: the value reads as %d zero bytes (its value-log file was probably deleted, truncated or replaced)", errCorruptValue, len(b))
		}
	}
	return nil, fmt.Errorf("%w: event codec version %d, this version reads %d and %d", errCorruptValue, b[0], eventCodecV1, eventCodecV2)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func appendBlob(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendOpt(b, v []byte, present bool) []byte {
	if !present {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v))+1)
	return append(b, v...)
}

// reader decodes the envelope; the first error sticks and later reads
// return zero values, so decoders check r.err once.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated at byte %d reading %s", errCorruptValue, r.off, what)
	}
}

func (r *reader) rest() int { return len(r.b) - r.off }

func (r *reader) take(n int, what string) []byte {
	if r.err != nil || n < 0 || r.rest() < n {
		r.fail(what)
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) byte() byte {
	if v := r.take(1, "a byte"); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uuid() uuid.UUID {
	var id uuid.UUID
	copy(id[:], r.take(16, "a uuid"))
	return id
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("an unsigned varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("a varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) blob() []byte {
	n := r.uvarint()
	if n > uint64(r.rest()) {
		r.fail("a length-prefixed field")
		return nil
	}
	return r.take(int(n), "a length-prefixed field")
}

func (r *reader) opt() ([]byte, bool) {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil, false
	}
	if n-1 > uint64(r.rest()) {
		r.fail("an optional field")
		return nil, false
	}
	return r.take(int(n-1), "an optional field"), true
}
