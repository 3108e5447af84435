package badger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/proto"

	"github.com/openoma/openoma/store"
)

// A backup file is Badger's stream backup (frames of a little-endian
// uint64 length and a protobuf KVList) inside a small envelope, so that a
// file can be checked completely before anything is loaded from it:
//
//	"OPENOMA-BACKUP-2\n"          17 bytes
//	frame*                          Badger's stream, unchanged
//	0xffffffffffffffff              end marker (no frame is that long)
//	uint64 stream length, uint32 CRC-32C of the stream   (little-endian)
//
// Backups written before the envelope (a bare Badger stream) still
// restore; they have no checksum, so only their structure is checked.
var backupMagic = []byte("OPENOMA-BACKUP-2\n")

const (
	backupEndMarker = ^uint64(0)
	// maxBackupFrame bounds one frame: Badger's backup batches hold a few
	// MiB; a larger length is damage, and allocating it would be the
	// panic issue 9 saw.
	maxBackupFrame = 1 << 30
)

// ErrBadBackup: the file given to restore is not a complete backup.
var ErrBadBackup = fmt.Errorf("%w: not a complete openoma backup", store.ErrCorrupt)

// BackupInfo describes a checked backup.
type BackupInfo struct {
	Frames, Keys int
	Bytes        int64
	// Checksummed is false for a backup written before backups carried a
	// checksum: only its structure could be checked.
	Checksummed bool
}

// backupWriter wraps Badger's stream in the envelope.
type backupWriter struct {
	w   io.Writer
	crc hash.Hash32
	n   uint64
}

func newBackupWriter(w io.Writer) (*backupWriter, error) {
	if _, err := w.Write(backupMagic); err != nil {
		return nil, err
	}
	return &backupWriter{w: w, crc: crc32.New(castagnoli)}, nil
}

func (b *backupWriter) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.crc.Write(p[:n])
	b.n += uint64(n)
	return n, err
}

func (b *backupWriter) finish() error {
	var t [20]byte
	binary.LittleEndian.PutUint64(t[0:], backupEndMarker)
	binary.LittleEndian.PutUint64(t[8:], b.n)
	binary.LittleEndian.PutUint32(t[16:], b.crc.Sum32())
	_, err := b.w.Write(t[:])
	return err
}

// backupReader yields the Badger stream of a backup, one validated frame
// at a time, to Badger's loader; done reports whether the whole backup,
// trailer and checksum included, was read and found intact.
type backupReader struct {
	r        io.Reader
	legacy   bool
	crc      hash.Hash32
	n        int64
	buf      []byte // the rest of the current frame
	frame    []byte
	frames   int
	finished bool
	err      error
}

func newBackupReader(r io.Reader) (*backupReader, error) {
	head := make([]byte, len(backupMagic))
	n, err := io.ReadFull(r, head)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrBadBackup)
	}
	br := &backupReader{r: r, crc: crc32.New(castagnoli)}
	if !bytes.Equal(head[:n], backupMagic) {
		// A bare Badger stream from before the envelope: what was read
		// is its beginning.
		br.legacy = true
		br.r = io.MultiReader(bytes.NewReader(head[:n]), r)
	}
	return br, nil
}

func (b *backupReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.finished {
			return 0, io.EOF
		}
		b.err = b.next()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// next reads and checks one frame.
func (b *backupReader) next() error {
	var head [8]byte
	n, err := io.ReadFull(b.r, head[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF) && b.legacy:
		b.finished = true
		return nil
	case n == 0 && errors.Is(err, io.EOF):
		return fmt.Errorf("%w: it ends after %d frames without its end marker (truncated?)", ErrBadBackup, b.frames)
	case err != nil:
		return fmt.Errorf("%w: frame %d header: %v (truncated?)", ErrBadBackup, b.frames+1, err)
	}
	size := binary.LittleEndian.Uint64(head[:])
	if size == backupEndMarker && !b.legacy {
		return b.trailer()
	}
	if size > maxBackupFrame {
		return fmt.Errorf("%w: frame %d claims %d bytes (at most %d): this is not a backup, or it is damaged", ErrBadBackup, b.frames+1, size, maxBackupFrame)
	}
	// Grow the buffer as the bytes arrive rather than trusting the length:
	// a damaged header must not cost a 1 GiB allocation.
	buf := bytes.NewBuffer(append(b.frame[:0], head[:]...))
	if n, err := io.CopyN(buf, b.r, int64(size)); err != nil {
		return fmt.Errorf("%w: frame %d claims %d bytes, %d follow: %v (truncated?)", ErrBadBackup, b.frames+1, size, n, err)
	}
	frame := buf.Bytes()
	b.crc.Write(frame)
	b.n += int64(len(frame))
	b.frames++
	b.buf, b.frame = frame, frame
	return nil
}

func (b *backupReader) trailer() error {
	var t [12]byte
	if _, err := io.ReadFull(b.r, t[:]); err != nil {
		return fmt.Errorf("%w: its trailer is cut short: %v", ErrBadBackup, err)
	}
	length, sum := binary.LittleEndian.Uint64(t[0:]), binary.LittleEndian.Uint32(t[8:])
	if length != uint64(b.n) || sum != b.crc.Sum32() {
		return fmt.Errorf("%w: checksum mismatch (the trailer says %d bytes, crc %08x; read %d bytes, crc %08x)", ErrBadBackup, length, sum, b.n, b.crc.Sum32())
	}
	if extra, _ := io.ReadFull(b.r, t[:1]); extra > 0 {
		return fmt.Errorf("%w: data after its trailer", ErrBadBackup)
	}
	b.finished = true
	return nil
}

// CheckBackup reads a whole backup and checks it: the envelope, every
// frame's length, that every frame decodes, the checksum, and that it is
// an openoma event store of the format this version reads. Nothing is
// loaded.
func CheckBackup(r io.Reader) (BackupInfo, error) {
	br, err := newBackupReader(r)
	if err != nil {
		return BackupInfo{}, err
	}
	info := BackupInfo{Checksummed: !br.legacy}
	formatOK := false
	for {
		if err := br.next(); err != nil {
			return info, err
		}
		if br.finished {
			break
		}
		var list pb.KVList
		if err := proto.Unmarshal(br.buf[8:], &list); err != nil {
			return info, fmt.Errorf("%w: frame %d does not decode: %v", ErrBadBackup, br.frames, err)
		}
		br.buf = nil
		for _, kv := range list.Kv {
			if bytes.Equal(kv.Key, formatKey) {
				if string(kv.Value) != formatVersion {
					return info, fmt.Errorf("%w: store format %q, this version reads %q", ErrNotAStore, kv.Value, formatVersion)
				}
				formatOK = true
			}
		}
		info.Keys += len(list.Kv)
	}
	info.Frames, info.Bytes = br.frames, br.n
	if !formatOK {
		return info, fmt.Errorf("%w: it holds no openoma format marker (%d keys in %d frames)", ErrBadBackup, info.Keys, info.Frames)
	}
	return info, nil
}
