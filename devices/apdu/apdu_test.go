package apdu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestCommandBytes(t *testing.T) {
	cases := []struct {
		name     string
		c        Command
		extended bool
		want     string
	}{
		{"case 1", Command{INS: 0x84}, false, "00840000"},
		{"case 2 short", ReadBinary(0x0102, 16), false, "00B0010210"},
		{"case 2 Le 256", ReadBinary(0, 256), false, "00B0000000"},
		{"case 3", UpdateBinary(5, []byte{1, 2}), false, "00D600050201 02"},
		{"case 4", SelectAID([]byte{0xF0, 0x50}, SelectFCP), false, "00A4040402F05000"},
		{"case 2 extended", ReadBinary(0, 300), true, "00B0000000012C"},
		{"case 2 extended 65536", ReadBinary(0, 65536), true, "00B00000000000"},
		{"case 3 extended", UpdateBinary(0, make([]byte, 256)), true, "00D60000000100" + fmt.Sprintf("%0512X", 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.c.Bytes(tc.extended)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ParseHex(tc.want)
			if !bytes.Equal(got, want) {
				t.Fatalf("got %X, want %X", got, want)
			}
			back, ext, err := ParseCommand(got)
			if err != nil {
				t.Fatal(err)
			}
			if ext != (tc.extended) || back.INS != tc.c.INS || back.Ne != tc.c.Ne || !bytes.Equal(back.Data, tc.c.Data) {
				t.Fatalf("round trip %+v (extended %v), want %+v", back, ext, tc.c)
			}
		})
	}
}

func TestCommandBytesRejectsLongShort(t *testing.T) {
	_, err := UpdateBinary(0, make([]byte, 256)).Bytes(false)
	if err == nil {
		t.Fatal("256-byte short APDU accepted")
	}
}

func TestStatusMeaning(t *testing.T) {
	cases := map[StatusWord]string{
		0x9000: "success", 0x6982: "security status not satisfied", 0x63C2: "2 tries left",
		0x6110: "16 more response bytes", 0x6100: "256 more response bytes", 0x6C1F: "Le = 31",
		0x6A82: "file or application not found", 0x6581: "memory (EEPROM) write failed",
	}
	for sw, want := range cases {
		if got := sw.Meaning(); !bytes.Contains([]byte(got), []byte(want)) {
			t.Errorf("%s means %q, want it to contain %q", sw, got, want)
		}
	}
}

func TestParseResponseEmpty(t *testing.T) {
	for _, b := range [][]byte{nil, {0x90}} {
		if _, err := ParseResponse(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseResponse(%X): %v, want ErrMalformed", b, err)
		}
	}
}

// scripted returns canned responses and records commands.
type scripted struct {
	replies [][]byte
	sent    [][]byte
}

func (s *scripted) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	s.sent = append(s.sent, cmd)
	if len(s.replies) == 0 {
		return nil, errors.New("no more replies")
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r, nil
}

func hexs(t *testing.T, ss ...string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		b, err := ParseHex(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestExchangeGetResponseChain(t *testing.T) {
	s := &scripted{replies: hexs(t, "6110", fmt.Sprintf("%032X6110", 1), fmt.Sprintf("%032X9000", 2))}
	x := NewExchanger(s, ExchangeOptions{})
	r, err := x.Exchange(context.Background(), SelectAID([]byte{0xF0}, SelectFCP))
	if err != nil {
		t.Fatal(err)
	}
	if r.SW != SWOK || len(r.Data) != 32 {
		t.Fatalf("got %d bytes %s, want 32 bytes 9000", len(r.Data), r.SW)
	}
	want := hexs(t, "00A4040401F000", "00C0000010", "00C0000010")
	for i := range want {
		if !bytes.Equal(s.sent[i], want[i]) {
			t.Fatalf("command %d: %X, want %X", i, s.sent[i], want[i])
		}
	}
}

func TestExchangeWrongLe(t *testing.T) {
	s := &scripted{replies: hexs(t, "6C1F", fmt.Sprintf("%062X9000", 7))}
	x := NewExchanger(s, ExchangeOptions{})
	r, err := x.Exchange(context.Background(), ReadBinary(0, 32))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 31 || !bytes.Equal(s.sent[1], hexs(t, "00B000001F")[0]) {
		t.Fatalf("resent %X and got %d bytes, want 00B000001F and 31", s.sent[1], len(r.Data))
	}
}

func TestExchangeLoopCap(t *testing.T) {
	replies := make([][]byte, 10)
	for i := range replies {
		replies[i] = []byte{0x61, 0x01}
	}
	x := NewExchanger(&scripted{replies: replies}, ExchangeOptions{MaxResponses: 5})
	if _, err := x.Exchange(context.Background(), GetChallenge(8)); err == nil {
		t.Fatal("endless 61xx accepted")
	}
}

func TestTLVRoundTrip(t *testing.T) {
	var b []byte
	b = AppendTLV(b, 0x80, []byte("a"))
	b = AppendTLV(b, 0x5F2E, make([]byte, 300))
	b = AppendTLV(b, 0xDF8101, make([]byte, 70000))
	b = append(b, 0, 0, 0xFF)
	objs, err := ParseTLV(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 || objs[1].Tag != 0x5F2E || len(objs[1].Value) != 300 || objs[2].Tag != 0xDF8101 ||
		len(objs[2].Value) != 70000 {
		t.Fatalf("parsed %d objects: %+v", len(objs), objs[0])
	}
}

func TestTLVRejectsOverrun(t *testing.T) {
	for _, h := range []string{"8005AABB", "5F", "8184", "808400000001"} {
		b, _ := ParseHex(h)
		if _, err := ParseTLV(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTLV(%s): %v, want ErrMalformed", h, err)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{1, 2, 3, 0x61, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Fatalf("round trip %X != %X", r.Bytes(), b)
		}
		_ = r.SW.Meaning()
	})
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte{0, 0xA4, 4, 0, 2, 0xF0, 0x50, 0})
	f.Add([]byte{0, 0xB0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ext, err := ParseCommand(b)
		if err != nil {
			return
		}
		out, err := c.Bytes(ext)
		if err != nil {
			t.Fatalf("parsed %X but cannot encode it: %v", b, err)
		}
		again, _, err := ParseCommand(out)
		if err != nil || again.Ne != c.Ne || !bytes.Equal(again.Data, c.Data) {
			t.Fatalf("re-encoding %X gave %X", b, out)
		}
	})
}

func FuzzParseTLV(f *testing.F) {
	f.Add([]byte{0xE1, 0x03, 0x80, 0x01, 'a'})
	f.Add([]byte{0x5F, 0x2E, 0x82, 0x00, 0x01, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := ParseTLV(b)
		if err != nil {
			return
		}
		var out []byte
		for _, o := range objs {
			out = AppendTLV(out, o.Tag, o.Value)
		}
		again, err := ParseTLV(out)
		if err != nil || len(again) != len(objs) {
			t.Fatalf("re-encoded %X does not parse back: %v", out, err)
		}
	})
}
