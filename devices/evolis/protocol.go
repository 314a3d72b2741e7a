package evolis

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Framing characters (Evolis Programming Guide A5013 Rev E, section 3).
const (
	ESC  = 0x1B
	CR   = 0x0D
	LF   = 0x0A
	NUL  = 0x00
	ACK  = 0x06
	NACK = 0x15
)

// Panel geometry: the printer keeps 1016 lines of 648 dots at 300 dpi, and a
// 2-level (1 bit per dot) K or O panel is sent as 1016 lines of 81 bytes.
const (
	DotsPerLine  = 648
	Lines        = 1016
	BytesPerLine = DotsPerLine / 8
	PanelBytes   = BytesPerLine * Lines // 82 296
)

// Frame builds `ESC cmd;p1;...;pn CR`.
func Frame(cmd string, params ...string) []byte {
	var b bytes.Buffer
	b.WriteByte(ESC)
	b.WriteString(cmd)
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p)
	}
	b.WriteByte(CR)
	return b.Bytes()
}

// DownloadFrame builds an uncompressed 2-level download,
// `ESC Db;panel;2;<82 296 bytes> CR`.
func DownloadFrame(panel byte, bitmap []byte) ([]byte, error) {
	if len(bitmap) != PanelBytes {
		return nil, fmt.Errorf("panel bitmap is %d bytes, want %d (648 x 1016 dots)", len(bitmap), PanelBytes)
	}
	b := make([]byte, 0, PanelBytes+8)
	b = append(b, ESC)
	b = append(b, "Db;"...)
	b = append(b, panel)
	b = append(b, ";2;"...)
	b = append(b, bitmap...)
	return append(b, CR), nil
}

// CompressedFrame builds `ESC Dbc;panel;2;n;<n compressed bytes> CR`.
func CompressedFrame(panel byte, bitmap []byte) ([]byte, error) {
	data, err := CompressPanel(bitmap)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("Dbc;%c;2;%d;", panel, len(data))
	b := make([]byte, 0, len(head)+len(data)+2)
	b = append(b, ESC)
	b = append(b, head...)
	b = append(b, data...)
	return append(b, CR), nil
}

// CompressPanel encodes a 2-level panel line by line: 0x00 for a white line,
// 0xFF for a black line, otherwise N (1..81) followed by the first N bytes of
// the line, N being the position of the last non-zero byte.
func CompressPanel(bitmap []byte) ([]byte, error) {
	if len(bitmap) != PanelBytes {
		return nil, fmt.Errorf("panel bitmap is %d bytes, want %d (648 x 1016 dots)", len(bitmap), PanelBytes)
	}
	out := make([]byte, 0, Lines)
	for i := 0; i < Lines; i++ {
		out = appendLine(out, bitmap[i*BytesPerLine:(i+1)*BytesPerLine])
	}
	return out, nil
}

func appendLine(out, line []byte) []byte {
	last := -1
	black := true
	for j, v := range line {
		if v != 0 {
			last = j
		}
		if v != 0xFF {
			black = false
		}
	}
	switch {
	case last < 0:
		return append(out, 0x00)
	case black:
		return append(out, 0xFF)
	}
	out = append(out, byte(last+1))
	return append(out, line[:last+1]...)
}

// ErrCompressed is wrapped by every failure to decode compressed panel data.
var ErrCompressed = errors.New("invalid compressed panel data")

// DecompressPanel reverses CompressPanel. It rejects data that does not decode
// to exactly 1016 lines.
func DecompressPanel(data []byte) ([]byte, error) {
	out := make([]byte, 0, PanelBytes)
	i := 0
	for line := 0; line < Lines; line++ {
		if i >= len(data) {
			return nil, fmt.Errorf("%w: data ends at line %d of %d", ErrCompressed, line, Lines)
		}
		n := int(data[i])
		i++
		switch {
		case n == 0x00:
			out = append(out, make([]byte, BytesPerLine)...)
		case n == 0xFF:
			out = append(out, bytes.Repeat([]byte{0xFF}, BytesPerLine)...)
		case n > BytesPerLine:
			return nil, fmt.Errorf("%w: line %d has length byte %d, above %d", ErrCompressed, line, n, BytesPerLine)
		case i+n > len(data):
			return nil, fmt.Errorf("%w: line %d needs %d bytes, %d left", ErrCompressed, line, n, len(data)-i)
		default:
			out = append(out, data[i:i+n]...)
			out = append(out, make([]byte, BytesPerLine-n)...)
			i += n
		}
	}
	if i != len(data) {
		return nil, fmt.Errorf("%w: %d bytes left after line %d", ErrCompressed, len(data)-i, Lines)
	}
	return out, nil
}

// ReplyKind classifies a printer reply.
type ReplyKind int

// Reply kinds.
const (
	ReplyValue      ReplyKind = iota // a value, such as a serial number or "5,00 Volts"
	ReplyOK                          // "OK"
	ReplyError                       // "ERR..." or "ERROR ..." other than ERROR CDE
	ReplyUnknownCmd                  // "ERROR CDE": the printer does not know the command
	ReplyAck                         // ACK in ACK/NACK mode
	ReplyNack                        // NACK and a code character in ACK/NACK mode
)

// Reply is one parsed printer reply.
type Reply struct {
	Kind ReplyKind
	// Text is the reply without terminators, or the NACK code character.
	Text string
}

// bareErrors are error replies without an ERR prefix (Evolis VB SDK CPrinter
// reply table).
var bareErrors = map[string]bool{
	"NEED CLEANING": true, "HOPPER FULL": true, "HOPPER DOOR": true, "COVER OPEN": true,
	"FEEDER EMPTY": true, "CARD JAM": true, "OPT NOT AVAILABLE": true,
}

// ErrEmptyReply is returned by ParseReply for a reply with no content.
var ErrEmptyReply = errors.New("empty printer reply")

// ParseReply classifies the bytes of one reply. Trailing CR, LF and NUL are
// removed first; a NACK must carry one code character.
func ParseReply(b []byte) (Reply, error) {
	b = bytes.TrimRight(b, "\r\n\x00")
	b = bytes.TrimLeft(b, "\x00")
	if len(b) == 0 {
		return Reply{}, ErrEmptyReply
	}
	switch b[0] {
	case ACK:
		if len(b) == 1 {
			return Reply{Kind: ReplyAck}, nil
		}
		return Reply{Kind: ReplyAck, Text: string(bytes.TrimLeft(b[1:], "\r\n\x00"))}, nil
	case NACK:
		if len(b) != 2 {
			return Reply{}, fmt.Errorf("invalid NACK reply %q: want NACK and one code character", b)
		}
		return Reply{Kind: ReplyNack, Text: string(b[1:])}, nil
	}
	text := string(b)
	switch {
	case bareErrors[text]:
		return Reply{Kind: ReplyError, Text: text}, nil
	case text == "OK":
		return Reply{Kind: ReplyOK, Text: text}, nil
	case strings.HasPrefix(text, "ERROR CDE"):
		return Reply{Kind: ReplyUnknownCmd, Text: text}, nil
	case strings.HasPrefix(text, "ERR"):
		return Reply{Kind: ReplyError, Text: text}, nil
	}
	for _, r := range text {
		if r < 0x20 || r > 0x7E {
			return Reply{}, fmt.Errorf("invalid printer reply %q: control or non-ASCII byte", text)
		}
	}
	return Reply{Kind: ReplyValue, Text: text}, nil
}

// ParseVolts reads an Rse sensor reply such as "5,00 Volts" (comma decimal).
func ParseVolts(s string) (float64, error) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "Volts"))
	f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
	if err != nil {
		return 0, fmt.Errorf("invalid sensor reply %q: want a voltage such as \"5,00 Volts\"", s)
	}
	return f, nil
}

// FormatVolts writes a sensor voltage as the printer does.
func FormatVolts(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", ",", 1) + " Volts"
}
