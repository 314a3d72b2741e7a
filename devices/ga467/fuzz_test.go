package ga467

import (
	"bytes"
	"testing"
)

func FuzzFrameReader(f *testing.F) {
	for _, frame := range goldenResponses(f) {
		f.Add(frame)
	}
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22})
	f.Fuzz(func(t *testing.T, stream []byte) {
		fr := NewFrameReader(bytes.NewReader(stream))
		for range 8 {
			frame, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if _, err := Split(frame); err != nil {
				t.Fatalf("ReadFrame returned a frame that Split rejects: %v", err)
			}
			resp, err := ParseResponse(frame)
			if err != nil {
				continue
			}
			_, _ = DecodeRead(CmdReadBasic, resp.Data)
			_, _ = DecodeRead(CmdReadWithFinger, resp.Data)
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	text, _ := EncodeText(testIdentity(f))
	f.Add(text)
	f.Fuzz(func(t *testing.T, text []byte) {
		if len(text) != TextLen {
			return
		}
		id, err := DecodeText(text)
		if err != nil {
			return
		}
		if err := id.Validate(); err != nil {
			t.Fatalf("DecodeText returned an identity that fails Validate: %v", err)
		}
	})
}

// BenchmarkDecodeRead measures checking a 1295-byte 30 01 response frame
// and decoding its text block into a validated identity.
func BenchmarkDecodeRead(b *testing.B) {
	frame := goldenResponses(b)["read_basic"]
	for b.Loop() {
		resp, err := ParseResponse(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeRead(CmdReadBasic, resp.Data); err != nil {
			b.Fatal(err)
		}
	}
}
