package idreader

import (
	"bytes"
	"errors"
	"testing"

	"permitdesk/devices/ga467"
)

func TestChunkRoundTrip(t *testing.T) {
	for _, n := range []int{10, 62, 63, 124, 1295, 2321} {
		frame := make([]byte, n)
		for i := range frame {
			frame[i] = byte(i * 31)
		}
		reports := Chunk(frame)
		if want := (n + ReportPayload - 1) / ReportPayload; len(reports) != want {
			t.Errorf("%d bytes: %d reports, want %d", n, len(reports), want)
		}
		var re Reassembler
		var got []byte
		for i, r := range reports {
			if len(r) != ReportSize {
				t.Fatalf("report %d has %d bytes", i, len(r))
			}
			f, err := re.Add(r)
			if err != nil {
				t.Fatalf("%d bytes, report %d: %v", n, i, err)
			}
			if (f != nil) != (i == len(reports)-1) {
				t.Fatalf("%d bytes: frame completed at report %d of %d", n, i, len(reports))
			}
			got = f
		}
		if !bytes.Equal(got, frame) {
			t.Errorf("%d bytes: reassembled frame differs", n)
		}
	}
}

func TestChunkFindCommandLayout(t *testing.T) {
	reports := Chunk(ga467.EncodeCommand(ga467.CmdFind, nil))
	want := append([]byte{0x00, 0x0A, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22}, make([]byte, 52)...)
	if len(reports) != 1 || !bytes.Equal(reports[0], want) {
		t.Errorf("find command report = % X", reports[0])
	}
}

func TestReassemblerRejects(t *testing.T) {
	frame := make([]byte, 200)
	reports := Chunk(frame)
	cases := []struct {
		name    string
		reports [][]byte
	}{
		{"starts mid-frame", [][]byte{reports[1]}},
		{"skips a report", [][]byte{reports[0], reports[2]}},
		{"zero count", [][]byte{{0x00, 0x00}}},
		{"count past report", [][]byte{{0x00, 0x10, 1, 2}}},
		{"count above 62", [][]byte{append([]byte{0x00, 63}, make([]byte, 63)...)}},
		{"short report", [][]byte{{0x00}}},
	}
	for _, c := range cases {
		var re Reassembler
		var err error
		for _, r := range c.reports {
			if _, err = re.Add(r); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrReassembly) {
			t.Errorf("%s: err = %v, want ErrReassembly", c.name, err)
		}
		if re.Pending() {
			t.Errorf("%s: partial frame kept after an error", c.name)
		}
	}
}

func TestReassemblerBoundsLength(t *testing.T) {
	var re Reassembler
	r := append([]byte{0x80, ReportPayload}, make([]byte, ReportPayload)...)
	var err error
	for i := 0; err == nil && i < 200; i++ {
		r[0] = 0x80 | byte(i)&seqMask
		_, err = re.Add(r)
	}
	if !errors.Is(err, ErrReassembly) {
		t.Errorf("an endless frame was accepted: %v", err)
	}
}

func FuzzReassembler(f *testing.F) {
	f.Add(bytes.Join(Chunk(ga467.EncodeCommand(ga467.CmdFind, nil)), nil))
	f.Add(bytes.Join(Chunk(make([]byte, 300)), nil))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var re Reassembler
		for len(stream) > 0 {
			n := min(len(stream), ReportSize)
			frame, err := re.Add(stream[:n])
			stream = stream[n:]
			if err != nil {
				continue
			}
			if len(frame) > maxFrameLength {
				t.Fatalf("frame of %d bytes exceeds %d", len(frame), maxFrameLength)
			}
			if frame != nil {
				if again := reassemble(t, Chunk(frame)); !bytes.Equal(again, frame) {
					t.Fatal("Chunk and Add do not round-trip")
				}
			}
		}
	})
}

func reassemble(t *testing.T, reports [][]byte) []byte {
	var re Reassembler
	for _, r := range reports {
		f, err := re.Add(r)
		if err != nil {
			t.Fatal(err)
		}
		if f != nil {
			return f
		}
	}
	return nil
}
