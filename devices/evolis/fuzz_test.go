package evolis

import (
	"bytes"
	"image"
	"testing"
)

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"OK\r", "ERROR CDE\r", "ERR RIBBON ENDED\r", "5,00 Volts\n", "\x06", "\x15C",
		"\x0618\r", "COVER OPEN\x00", "", "\x00\x00OK", "\x15", "caf\xc3\xa9\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			return
		}
		switch r.Kind {
		case ReplyNack:
			if len(r.Text) != 1 {
				t.Errorf("NACK code %q is not one character", r.Text)
			}
		case ReplyValue:
			if r.Text == "" || r.Text == "OK" {
				t.Errorf("value reply %q", r.Text)
			}
		case ReplyError, ReplyUnknownCmd:
			if CodeForText(r.Text) == "" {
				t.Errorf("error reply %q has no code", r.Text)
			}
		}
	})
}

func FuzzDecompressPanel(f *testing.F) {
	enc, _ := CompressPanel(make([]byte, PanelBytes))
	f.Add(enc)
	f.Add([]byte{0xFF, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		panel, err := DecompressPanel(data)
		if err != nil {
			return
		}
		if len(panel) != PanelBytes {
			t.Fatalf("decoded %d bytes, want %d", len(panel), PanelBytes)
		}
		again, err := CompressPanel(panel)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecompressPanel(again)
		if err != nil || !bytes.Equal(back, panel) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
	})
}

// FuzzCompressRoundTrip builds panels from a short pattern and checks that
// Dbc decodes what it encodes.
func FuzzCompressRoundTrip(f *testing.F) {
	f.Add([]byte{0}, uint16(0))
	f.Add([]byte{0xFF}, uint16(500))
	f.Add([]byte{1, 0, 0, 0x80}, uint16(1015))
	f.Fuzz(func(t *testing.T, pattern []byte, start uint16) {
		panel := make([]byte, PanelBytes)
		if len(pattern) > 0 {
			for i := int(start) % PanelBytes; i < PanelBytes; i += len(pattern) + 7 {
				copy(panel[i:], pattern)
			}
		}
		enc, err := CompressPanel(panel)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := DecompressPanel(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dec, panel) {
			t.Fatal("Dbc round trip changed the panel")
		}
		if len(enc) > PanelBytes+Lines {
			t.Fatalf("compressed %d bytes, above the %d-byte bound", len(enc), PanelBytes+Lines)
		}
	})
}

func TestCompressLineForms(t *testing.T) {
	panel := make([]byte, PanelBytes)
	for i := 0; i < BytesPerLine; i++ {
		panel[BytesPerLine+i] = 0xFF // line 1 all black
	}
	panel[2*BytesPerLine+4] = 0x10 // line 2: last useful byte at index 4
	enc, err := CompressPanel(panel)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x00, 0xFF, 5, 0, 0, 0, 0, 0x10, 0x00}
	if !bytes.Equal(enc[:len(want)], want) {
		t.Errorf("first lines encode as % X, want % X", enc[:len(want)], want)
	}
	if len(enc) != Lines+5 {
		t.Errorf("encoded %d bytes, want %d", len(enc), Lines+5)
	}
}

func TestPackPanelGrayMatchesGeneric(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, CardWidth, CardHeight))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7919) ^ byte(i>>9)
	}
	fast, err := PackPanel(img)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := PackPanel(struct{ image.Image }{img})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatal("greyscale fast path packs differently from the generic path")
	}
	back, _ := UnpackPanel(fast)
	again, _ := PackPanel(back)
	if !bytes.Equal(again, fast) {
		t.Fatal("unpack then pack changed the panel")
	}
}
