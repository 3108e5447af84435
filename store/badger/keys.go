package badger

import (
	"encoding/binary"

	"github.com/google/uuid"
)

// Key namespaces: the first byte of every key. See doc.go for the layout.
const (
	nsMeta     byte = 0x00
	nsEvent    byte = 0x01
	nsEventID  byte = 0x02
	nsExec     byte = 0x03
	nsOpen     byte = 0x04
	nsAll      byte = 0x05
	nsParent   byte = 0x06
	nsDef      byte = 0x07
	nsPosition byte = 0x08
)

// formatKey holds the on-disk format version; formatVersion is this code's.
var formatKey = []byte{nsMeta, 'f', 'o', 'r', 'm', 'a', 't'}

const formatVersion = "openoma-events-1"

func eventKey(exec uuid.UUID, seq uint64) []byte {
	k := make([]byte, 1+16+8)
	k[0] = nsEvent
	copy(k[1:17], exec[:])
	binary.BigEndian.PutUint64(k[17:], seq)
	return k
}

// eventPrefix is the prefix of all of exec's event keys.
func eventPrefix(exec uuid.UUID) []byte {
	k := make([]byte, 1+16)
	k[0] = nsEvent
	copy(k[1:], exec[:])
	return k
}

// seqOfEventKey reads the sequence from an event key.
func seqOfEventKey(k []byte) uint64 { return binary.BigEndian.Uint64(k[17:25]) }

func eventIDKey(id uuid.UUID) []byte {
	k := make([]byte, 1+16)
	k[0] = nsEventID
	copy(k[1:], id[:])
	return k
}

func execKey(exec uuid.UUID) []byte {
	k := make([]byte, 1+16)
	k[0] = nsExec
	copy(k[1:], exec[:])
	return k
}

// orderedExecKey is an index key: ns, an optional 16-byte group (parent or
// definition), the created position, the execution — so each index lists
// executions oldest first.
func orderedExecKey(ns byte, group *uuid.UUID, createdPos uint64, exec uuid.UUID) []byte {
	k := make([]byte, 0, 1+16+8+16)
	k = append(k, ns)
	if group != nil {
		k = append(k, group[:]...)
	}
	k = binary.BigEndian.AppendUint64(k, createdPos)
	return append(k, exec[:]...)
}

// execOfIndexKey reads the execution id: the last 16 bytes of an index key.
func execOfIndexKey(k []byte) uuid.UUID {
	var id uuid.UUID
	copy(id[:], k[len(k)-16:])
	return id
}

func positionKey(pos uint64) []byte {
	k := make([]byte, 1+8)
	k[0] = nsPosition
	binary.BigEndian.PutUint64(k[1:], pos)
	return k
}

func positionOfKey(k []byte) uint64 { return binary.BigEndian.Uint64(k[1:9]) }

// eventRef is the value of the event-id and position indexes: where the
// event is stored.
type eventRef struct {
	exec uuid.UUID
	seq  uint64
}

func (r eventRef) encode() []byte {
	b := make([]byte, 24)
	copy(b, r.exec[:])
	binary.BigEndian.PutUint64(b[16:], r.seq)
	return b
}

func decodeEventRef(b []byte) (eventRef, bool) {
	if len(b) != 24 {
		return eventRef{}, false
	}
	var r eventRef
	copy(r.exec[:], b[:16])
	r.seq = binary.BigEndian.Uint64(b[16:])
	return r, true
}
