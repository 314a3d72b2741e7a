package evolis

import (
	"errors"
	"strings"
	"testing"

	"permitdesk/devices"
)

func TestParseReplyKinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind ReplyKind
		text string
	}{
		{"OK\r", ReplyOK, "OK"},
		{"\x00\x00OK\x00", ReplyOK, "OK"},
		{"ERROR CDE\r", ReplyUnknownCmd, "ERROR CDE"},
		{"ERR RIBBON ENDED\n", ReplyError, "ERR RIBBON ENDED"},
		{"ERROR PARAMETRES\r", ReplyError, "ERROR PARAMETRES"},
		{"COVER OPEN\r", ReplyError, "COVER OPEN"},
		{"NEED CLEANING\r", ReplyError, "NEED CLEANING"},
		{"CONTACTLESS CARD\r", ReplyValue, "CONTACTLESS CARD"},
		{"5,00 Volts\r\n", ReplyValue, "5,00 Volts"},
		{"\x06", ReplyAck, ""},
		{"\x06EMU01\r", ReplyAck, "EMU01"},
		{"\x15C", ReplyNack, "C"},
	} {
		r, err := ParseReply([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseReply(%q): %v", tc.in, err)
			continue
		}
		if r.Kind != tc.kind || r.Text != tc.text {
			t.Errorf("ParseReply(%q) = %v %q, want %v %q", tc.in, r.Kind, r.Text, tc.kind, tc.text)
		}
	}
	for _, bad := range []string{"", "\r\n", "\x15", "\x15CC", "caf\xc3\xa9\r", "A\x01B\r"} {
		if _, err := ParseReply([]byte(bad)); err == nil {
			t.Errorf("ParseReply(%q) accepted", bad)
		}
	}
}

func TestCodeForText(t *testing.T) {
	for text, want := range map[string]devices.Code{
		"COVER OPEN":       CodeCoverOpen,
		"ERR COVER OPEN":   CodeCoverOpen,
		"FEEDER EMPTY":     CodeFeederEmpty,
		"CARD JAM":         CodeCardJam,
		"ERR NO RIBBON":    CodeRibbonMissing,
		"ERROR RIBBON":     CodeRibbonOut,
		"ERR RIBBON ENDED": CodeRibbonOut,
		"NEED CLEANING":    CodeCleaning,
		"ERR BUSY":         CodeBusy,
		"ERROR CDE":        CodeUnknownCommand,
		"ERROR PARAMETRES": CodeBadParameter,
		"ERROR TIME OUT":   CodeMechanical,
		"HOPPER FULL":      CodeHopperFull,
		"ERROR HEAD":       CodeHead,
		"ERR NO CARD":      CodeNoCard,
		"ERROR UNKNOW":     CodeFailed,
	} {
		if got := CodeForText(text); got != want {
			t.Errorf("CodeForText(%q) = %s, want %s", text, got, want)
		}
	}
}

func TestMessagesBothLanguages(t *testing.T) {
	for code := range messages {
		zh, en := Message(code, "zh-CN"), Message(code, "en")
		if zh == "" || en == "" || zh == en {
			t.Errorf("%s: zh %q, en %q", code, zh, en)
		}
		if strings.ContainsAny(en, "的了") {
			t.Errorf("%s: English text %q contains Chinese", code, en)
		}
	}
	if Message("printer.nonsense", "en") != Message(CodeFailed, "en") {
		t.Error("an unknown code does not get the generic text")
	}
}

func TestNackRoundTrip(t *testing.T) {
	for _, c := range []string{"1", "2", "T", "C", "F", "R"} {
		if got := NackFor(CodeForNack(c)); got != c {
			t.Errorf("NACK %s maps back to %s", c, got)
		}
	}
}

func TestBusyMatchesErrBusy(t *testing.T) {
	err := &devices.Error{Code: CodeBusy, Err: &PrinterError{Reply: "ERR BUSY", Code: CodeBusy}}
	if !errors.Is(err, devices.ErrBusy) {
		t.Error("busy printer error does not match devices.ErrBusy")
	}
	other := &devices.Error{Code: CodeCoverOpen, Err: &PrinterError{Reply: "COVER OPEN", Code: CodeCoverOpen}}
	if errors.Is(other, devices.ErrBusy) {
		t.Error("cover open matches devices.ErrBusy")
	}
}

func TestVolts(t *testing.T) {
	for in, want := range map[string]float64{"5,00 Volts": 5, "0,21 Volts": 0.21, " 4,95 Volts ": 4.95} {
		got, err := ParseVolts(in)
		if err != nil || got != want {
			t.Errorf("ParseVolts(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVolts("five"); err == nil {
		t.Error("ParseVolts accepted text")
	}
	if got := FormatVolts(0.2); got != "0,20 Volts" {
		t.Errorf("FormatVolts(0.2) = %q", got)
	}
}

func TestPositions(t *testing.T) {
	for in, want := range map[string]Position{"OK": PositionNone, "NO CARD": PositionNone, "CARD": PositionPrint,
		"SMART CARD": PositionContact, "CONTACTLESS CARD": PositionContactless} {
		if got, ok := ParsePosition(in); !ok || got != want {
			t.Errorf("ParsePosition(%q) = %s, %v", in, got, ok)
		}
	}
	if _, ok := ParsePosition("MAYBE"); ok {
		t.Error("ParsePosition accepted MAYBE")
	}
}
