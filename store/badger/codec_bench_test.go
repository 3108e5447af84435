package badger

import (
	"testing"
)

// BenchmarkEventCodec measures the checksum's share of encoding and
// decoding one stored event (codec version 2 against version 1, the same
// bytes without a CRC).
func BenchmarkEventCodec(b *testing.B) {
	ev := codecCases()[1]
	v2, err := encodeEvent(ev)
	if err != nil {
		b.Fatal(err)
	}
	v1 := append([]byte{eventCodecV1}, v2[1:len(v2)-checksumSize]...)
	b.Run("encode-v2", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeEvent(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checksum-only", func(b *testing.B) {
		b.SetBytes(int64(len(v2)))
		for b.Loop() {
			if _, err := checkedBody(v2, eventCodecV2); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tt := range []struct {
		name string
		enc  []byte
	}{{"decode-v1", v1}, {"decode-v2", v2}} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.enc)))
			for b.Loop() {
				if _, err := decodeEvent(tt.enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
