package rewriter

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
)

// Control characters of the TCP300II framing.
const (
	STX = 0x02
	ETX = 0x03
	ACK = 0x06
	NAK = 0x15
	DLE = 0x10
)

// Command bytes (TCP300II Series Product Specifications Manual, Commands).
const (
	CmdClearExpansion = 0x40 // clear the print expansion buffer
	CmdImageLine      = 0x43 // expand one external image line: "X,Y,hex"
	CmdErasePrint     = 0x46 // erase and/or print, then discharge: "D,E,P"
	CmdPrint          = 0x47 // print only, then discharge: "D"
	CmdErase          = 0x48 // erase only, then discharge: "D"
	CmdClearImage     = 0x49 // clear the rasterised image buffer
	CmdROMVersion     = 0x58
	CmdStatus         = 0x59 // seven sensor characters
	CmdCount          = 0x95 // card transport count
)

// Image geometry: 480 columns (X 0..479) of 320 dots (Y addresses 0..39, 8
// dots each); one image line carries one column as 80 hex characters.
const (
	ImageWidth   = 480
	ImageHeight  = 320
	ColumnBytes  = ImageHeight / 8
	MaxFrameData = 1024
)

// Status bytes in a response. NOTE: the manual pages found give only 51h
// (expansion buffer overflow); the other values are this project's own.
const (
	StatusOK        = '0'
	StatusNoCard    = '1'
	StatusCoverOpen = '2'
	StatusJam       = '3'
	StatusOverflow  = 0x51
)

// BCC is the XOR of every byte from the command byte through ETX.
func BCC(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// EncodeCommand builds `STX cmd data ETX BCC`.
func EncodeCommand(cmd byte, data []byte) ([]byte, error) {
	if len(data) > MaxFrameData {
		return nil, fmt.Errorf("command %02Xh data is %d bytes, above the %d-byte limit", cmd, len(data), MaxFrameData)
	}
	b := make([]byte, 0, len(data)+4)
	b = append(b, STX, cmd)
	b = append(b, data...)
	b = append(b, ETX)
	return append(b, BCC(b[1:])), nil
}

// EncodeResponse builds `STX cmd status data ETX BCC`, as the device sends.
func EncodeResponse(cmd, status byte, data []byte) []byte {
	b := []byte{STX, cmd, status}
	b = append(b, data...)
	b = append(b, ETX)
	return append(b, BCC(b[1:]))
}

// Response is a decoded device response.
type Response struct {
	Cmd    byte
	Status byte
	Data   []byte
}

// Errors from ParseFrame.
var (
	ErrIncomplete = errors.New("incomplete frame")
	ErrBCC        = errors.New("frame check (BCC) mismatch")
)

// ParseFrame finds one frame at the start of b after skipping bytes before
// STX. body is the command byte through the last data byte. It returns the
// bytes consumed; ErrIncomplete means more input is needed, and ErrBCC
// reports a damaged frame (consumed still covers it).
func ParseFrame(b []byte) (body []byte, consumed int, err error) {
	start := bytes.IndexByte(b, STX)
	if start < 0 {
		return nil, len(b), ErrIncomplete
	}
	end := bytes.IndexByte(b[start+1:], ETX)
	if end < 0 {
		if len(b)-start > MaxFrameData+8 {
			return nil, len(b), fmt.Errorf("frame longer than %d bytes without ETX", MaxFrameData+8)
		}
		return nil, start, ErrIncomplete
	}
	etx := start + 1 + end
	if end > MaxFrameData+2 {
		return nil, etx + 1, fmt.Errorf("frame of %d bytes is above the %d-byte data limit", end, MaxFrameData)
	}
	if etx+1 >= len(b) {
		return nil, start, ErrIncomplete
	}
	if BCC(b[start+1:etx+1]) != b[etx+1] {
		return nil, etx + 2, ErrBCC
	}
	return b[start+1 : etx], etx + 2, nil
}

// ParseResponse decodes a response body from ParseFrame.
func ParseResponse(body []byte) (Response, error) {
	if len(body) < 2 {
		return Response{}, fmt.Errorf("response %q is shorter than a command and a status byte", body)
	}
	return Response{Cmd: body[0], Status: body[1], Data: append([]byte(nil), body[2:]...)}, nil
}

// CardSensor is the first status character.
type CardSensor byte

// Card sensor values.
const (
	CardNone    CardSensor = '0' // no card
	CardAtInlet CardSensor = '1' // a card at the inlet, ready
	CardWaiting CardSensor = '2' // a processed card waiting for removal
)

// Status is the decoded seven-character status.
type Status struct {
	Card           CardSensor
	Sensors        [3]bool // sensors 2 to 4
	CoverOpen      bool
	DispenserEmpty bool
	Raw            string
}

// ParseStatus decodes the status request's seven characters.
func ParseStatus(s string) (Status, error) {
	if len(s) != 7 || strings.Trim(s, "012") != "" {
		return Status{}, fmt.Errorf("invalid status %q: want 7 characters of 0, 1 or 2", s)
	}
	if strings.ContainsAny(s[1:], "2") || s[5] != '0' {
		return Status{}, fmt.Errorf("invalid status %q: only the card sensor may read 2 and the sixth character is always 0", s)
	}
	return Status{Card: CardSensor(s[0]), Sensors: [3]bool{s[1] == '1', s[2] == '1', s[3] == '1'},
		CoverOpen: s[4] == '1', DispenserEmpty: s[6] == '1', Raw: s}, nil
}

// String formats the status back into its seven characters.
func (s Status) String() string {
	b := []byte{byte(s.Card), '0', '0', '0', '0', '0', '0'}
	for i, on := range s.Sensors {
		if on {
			b[1+i] = '1'
		}
	}
	if s.CoverOpen {
		b[4] = '1'
	}
	if s.DispenserEmpty {
		b[6] = '1'
	}
	return string(b)
}

// ImageLines packs a 480 x 320 image into image-line command data, one per
// column with any black dot: "X,Y,hex" where Y is the first non-empty 8-dot
// row and the hex runs to the last non-empty one, MSB at the top.
func ImageLines(img image.Image) ([][]byte, error) {
	b := img.Bounds()
	if b.Dx() != ImageWidth || b.Dy() != ImageHeight {
		return nil, fmt.Errorf("strip image is %dx%d, want %dx%d", b.Dx(), b.Dy(), ImageWidth, ImageHeight)
	}
	var out [][]byte
	col := make([]byte, ColumnBytes)
	for x := 0; x < ImageWidth; x++ {
		clear(col)
		for y := 0; y < ImageHeight; y++ {
			if color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y < 128 {
				col[y/8] |= 0x80 >> (y % 8)
			}
		}
		first := bytes.IndexFunc(col, func(r rune) bool { return r != 0 })
		if first < 0 {
			continue
		}
		last := len(col) - 1
		for col[last] == 0 {
			last--
		}
		out = append(out, []byte(fmt.Sprintf("%d,%d,%X", x, first, col[first:last+1])))
	}
	return out, nil
}

// ParseImageLine decodes "X,Y,hex" into the column, the first 8-dot row and
// the column bytes.
func ParseImageLine(data []byte) (x, y int, col []byte, err error) {
	parts := strings.SplitN(string(data), ",", 3)
	if len(parts) != 3 {
		return 0, 0, nil, fmt.Errorf("image line %q: want X,Y,hex", data)
	}
	x, errX := strconv.Atoi(parts[0])
	y, errY := strconv.Atoi(parts[1])
	col, errH := hex.DecodeString(parts[2])
	if errX != nil || errY != nil || errH != nil || x < 0 || x >= ImageWidth || y < 0 || y >= ColumnBytes ||
		len(col) == 0 || len(col)+y > ColumnBytes {
		return 0, 0, nil, fmt.Errorf("invalid image line %q: want X 0..479, Y 0..39 and hex that fits in 320 dots", data)
	}
	return x, y, col, nil
}
