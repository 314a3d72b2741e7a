package ga467

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/devices"
	"permitdesk/devices/idcard"
)

var update = flag.Bool("update", false, "rewrite the golden frame files")

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeCommandPublished(t *testing.T) {
	b, err := os.ReadFile("testdata/published_commands.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, frame, _ := strings.Cut(line, "|")
		fields := unhex(t, head)
		cmd, data, want := Command{fields[0], fields[1]}, fields[2:], unhex(t, frame)
		if got := EncodeCommand(cmd, data); !bytes.Equal(got, want) {
			t.Errorf("%s: got % X, want % X", cmd, got, want)
		}
		parsed, pdata, err := ParseCommand(want)
		if err != nil || parsed != cmd || !bytes.Equal(pdata, data) {
			t.Errorf("ParseCommand(% X) = %v % X %v", want, parsed, pdata, err)
		}
		n++
	}
	if n != 9 {
		t.Errorf("checked %d published frames, want 9", n)
	}
}

func testIdentity(t testing.TB) idcard.Identity {
	t.Helper()
	b, err := os.ReadFile("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	var ids []idcard.Identity
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func testBlock(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)*7 + seed
	}
	return b
}

// goldenResponses builds the response frames kept under testdata.
func goldenResponses(t testing.TB) map[string][]byte {
	text, err := EncodeText(testIdentity(t))
	if err != nil {
		t.Fatal(err)
	}
	photo, finger := testBlock(PhotoLen, 0x57), testBlock(MaxFingerprintLen, 0x46)
	return map[string][]byte{
		"find_ok":            EncodeResponse(StatusFound, testBlock(8, 1)),
		"find_none":          EncodeResponse(Status{0, 0, SWFindFailed}, nil),
		"select_ok":          EncodeResponse(StatusOK, testBlock(8, 2)),
		"read_basic":         EncodeResponse(StatusOK, EncodeRead(CmdReadBasic, text, photo, nil)),
		"read_finger":        EncodeResponse(StatusOK, EncodeRead(CmdReadWithFinger, text, photo, finger)),
		"read_finger_absent": EncodeResponse(StatusOK, EncodeRead(CmdReadWithFinger, text, photo, nil)),
	}
}

func writeHex(b []byte) []byte {
	var out bytes.Buffer
	for i := 0; i < len(b); i += 32 {
		end := min(i+32, len(b))
		out.WriteString(strings.ToUpper(hex.EncodeToString(b[i:end])))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return unhex(t, string(b))
}

func TestResponseGoldens(t *testing.T) {
	for name, frame := range goldenResponses(t) {
		path := filepath.Join("testdata", name+".hex")
		if *update {
			if err := os.WriteFile(path, writeHex(frame), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if want := readGolden(t, name); !bytes.Equal(frame, want) {
			t.Errorf("%s: encoded frame differs from %s", name, path)
		}
	}
}

func TestReadLayoutLengths(t *testing.T) {
	cases := []struct {
		name     string
		lenField int
		total    int
	}{
		{"read_basic", 0x0508, 1295},
		{"read_finger", 0x090A, 2321},
		{"read_finger_absent", 0x050A, 1297},
		{"find_ok", 0x000C, 19},
		{"find_none", 0x0004, 11},
	}
	for _, c := range cases {
		f := readGolden(t, c.name)
		if got := int(f[5])<<8 | int(f[6]); got != c.lenField {
			t.Errorf("%s: LEN = %#04x, want %#04x", c.name, got, c.lenField)
		}
		if len(f) != c.total {
			t.Errorf("%s: %d bytes, want %d", c.name, len(f), c.total)
		}
	}
}

func TestDecodeReadGoldens(t *testing.T) {
	want := testIdentity(t)
	want.EthnicityName = "汉族"
	for _, c := range []struct {
		name    string
		cmd     Command
		fingerN int
	}{
		{"read_basic", CmdReadBasic, 0},
		{"read_finger", CmdReadWithFinger, MaxFingerprintLen},
		{"read_finger_absent", CmdReadWithFinger, 0},
	} {
		resp, err := ParseResponse(readGolden(t, c.name))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rec, err := DecodeRead(c.cmd, resp.Data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rec.Identity != want {
			t.Errorf("%s: identity\n got %+v\nwant %+v", c.name, rec.Identity, want)
		}
		if len(rec.Photo) != PhotoLen || len(rec.Fingerprint) != c.fingerN {
			t.Errorf("%s: photo %d bytes, fingerprint %d bytes", c.name, len(rec.Photo), len(rec.Fingerprint))
		}
	}
}

func TestSplitRejectsMalformed(t *testing.T) {
	good := readGolden(t, "select_ok")
	badChk := bytes.Clone(good)
	badChk[len(badChk)-1] ^= 0xFF
	longLen := bytes.Clone(good)
	longLen[6]++
	cases := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"wrong checksum", badChk, ErrChecksum},
		{"LEN larger than frame", longLen, ErrTruncated},
		{"extra byte", append(bytes.Clone(good), 0), ErrLength},
		{"truncated", good[:10], ErrTruncated},
		{"header only", good[:5], ErrTruncated},
		{"bad preamble", append([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x68}, good[5:]...), ErrPreamble},
		{"LEN zero", unhex(t, "AAAAAA96690000"), ErrLength},
	}
	for _, c := range cases {
		_, err := ParseResponse(c.frame)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		var fe *FrameError
		if errors.As(err, &fe) && !strings.Contains(fe.Error(), "AA AA AA") && len(c.frame) >= 3 {
			t.Errorf("%s: message %q does not show the bytes", c.name, fe)
		}
	}
}

func TestFrameReaderStream(t *testing.T) {
	find, sel := readGolden(t, "find_ok"), readGolden(t, "select_ok")
	var stream []byte
	stream = append(stream, 0x00, 0xAA, 0x13, 0xAA, 0xAA) // noise, including partial syncs
	stream = append(stream, find...)
	stream = append(stream, 0xAA) // an extra sync byte before the next frame
	stream = append(stream, sel...)
	fr := NewFrameReader(bytes.NewReader(stream))
	for i, want := range [][]byte{find, sel} {
		got, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("frame %d: got % X, want % X", i, got, want)
		}
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	frame := readGolden(t, "read_basic")
	fr := NewFrameReader(bytes.NewReader(frame[:700]))
	_, err := fr.ReadFrame()
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
}

func TestStatusErrorSentinels(t *testing.T) {
	cases := []struct {
		sw3  byte
		want error
	}{
		{SWFindFailed, devices.ErrNoCard},
		{SWNoCardYet, devices.ErrNoCard},
		{SWSelectFailed, devices.ErrCardRemoved},
		{SWReadFailed, devices.ErrCardRemoved},
		{SWWrongCard, devices.ErrWrongCard},
		{SWBadChecksum, ErrTransmission},
	}
	for _, c := range cases {
		err := Status{0, 0, c.sw3}.Err(CmdReadBasic)
		if !errors.Is(err, c.want) {
			t.Errorf("SW3 %02X: %v does not wrap %v", c.sw3, err, c.want)
		}
	}
	if err := StatusOK.Err(CmdReadBasic); err != nil {
		t.Errorf("success status: %v", err)
	}
}

func TestDecodeTextBadFields(t *testing.T) {
	base := testIdentity(t)
	cases := []struct {
		field  string
		mutate func(*idcard.Identity)
	}{
		{"idNumber", func(id *idcard.Identity) { id.Number = "440304198503123717" }},
		{"ethnicity", func(id *idcard.Identity) { id.Ethnicity = "99" }},
		{"validTo", func(id *idcard.Identity) { id.ValidTo = idcard.Date{Year: 2016, Month: 2, Day: 30} }},
		{"birthDate", func(id *idcard.Identity) { id.BirthDate = idcard.Date{Year: 1985, Month: 13, Day: 1} }},
		{"sex", func(id *idcard.Identity) { id.Sex = "5" }},
	}
	for _, c := range cases {
		id := base
		c.mutate(&id)
		text, err := EncodeText(id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = DecodeText(text)
		var fe *idcard.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: err = %v, want a FieldError on %s", c.field, err, c.field)
		}
	}
}

func TestDecodeTextCardTypes(t *testing.T) {
	b, _ := os.ReadFile("../../testdata/idcards/identities.json")
	var ids []idcard.Identity
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	foreign := ids[len(ids)-1]
	text, err := EncodeText(foreign)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeText(text)
	if err != nil {
		t.Fatalf("foreigner's card: %v", err)
	}
	if got != foreign {
		t.Errorf("foreigner's card\n got %+v\nwant %+v", got, foreign)
	}
	hmt := ids[0]
	hmt.CardType = idcard.HMTResidence
	text, _ = EncodeText(hmt)
	if _, err := DecodeText(text); !errors.Is(err, ErrUnsupportedCard) {
		t.Errorf("J card: err = %v, want ErrUnsupportedCard", err)
	}
}

func TestSplitReadLengthMismatch(t *testing.T) {
	resp, _ := ParseResponse(readGolden(t, "read_basic"))
	if _, err := SplitRead(CmdReadBasic, resp.Data[:len(resp.Data)-1]); err == nil {
		t.Error("short photo accepted")
	}
	if _, err := SplitRead(CmdReadWithFinger, resp.Data); err == nil {
		t.Error("30 01 data accepted as a 30 10 response")
	}
}
