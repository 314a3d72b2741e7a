package rewriter

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseFrame(f *testing.F) {
	good := EncodeResponse(CmdStatus, StatusOK, []byte("1000000"))
	f.Add(good)
	f.Add([]byte{STX, 0x40, ETX, 0x43})
	f.Add([]byte{0x15, STX, 0x49, ETX, 0x00})
	f.Add([]byte{STX, 0x59})
	f.Fuzz(func(t *testing.T, b []byte) {
		body, n, err := ParseFrame(b)
		if n < 0 || n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		if err != nil {
			if !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrBCC) && n == 0 {
				t.Fatalf("error %v consumed nothing; a reader would loop", err)
			}
			return
		}
		if len(body) == 0 {
			return
		}
		frame, err := EncodeCommand(body[0], body[1:])
		if err != nil {
			return // a response may carry a status byte past the command data limit
		}
		if !bytes.Contains(b, frame[1:]) {
			t.Fatalf("frame body % X does not re-encode to bytes in the input", body)
		}
		if _, err := ParseResponse(body); err != nil && len(body) >= 2 {
			t.Fatal(err)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add("1000000")
	f.Add("2000101")
	f.Add("9")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err != nil {
			return
		}
		if st.String() != s {
			t.Fatalf("status %q formats back as %q", s, st.String())
		}
	})
}

func TestBCCExamples(t *testing.T) {
	for _, tc := range []struct {
		cmd  byte
		want byte
	}{{0x40, 0x43}, {0x49, 0x4A}} {
		frame, err := EncodeCommand(tc.cmd, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := frame[len(frame)-1]; got != tc.want {
			t.Errorf("BCC of STX %02Xh ETX = %02Xh, want %02Xh", tc.cmd, got, tc.want)
		}
	}
}

func FuzzImageLine(f *testing.F) {
	f.Add([]byte("0,0,FF"))
	f.Add([]byte("479,39,01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, y, col, err := ParseImageLine(b)
		if err != nil {
			return
		}
		if x < 0 || x >= ImageWidth || y < 0 || y+len(col) > ColumnBytes || len(col) == 0 {
			t.Fatalf("accepted out-of-range line x=%d y=%d len=%d", x, y, len(col))
		}
	})
}
