// Package ga467 encodes and decodes the frames of the SAM module inside
// second-generation ID card readers, as defined by the public-security
// standard GA 467 (居民身份证验证安全控制模块接口技术规范) and used by the
// "SDT"-compatible readers on UART and USB:
//
//	command:  AA AA AA 96 69 | LEN_H LEN_L | CMD PARA | DATA... | CHK
//	response: AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 | DATA... | CHK
//
// LEN is big-endian and counts every byte after it, CHK included. CHK is the
// XOR of every byte after the 5-byte preamble up to the last data byte.
//
// The package also decodes the 256-byte UCS-2LE text block of a card read
// into an idcard.Identity. The 1024-byte photo is in the proprietary WLT
// compression and is kept raw: decoding it needs a licensed library.
//
// Limits: the text layout of the Hong Kong, Macao and Taiwan residence permit
// (type flag 'J') is not public, so those cards are reported as unsupported.
package ga467

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Preamble starts every frame: AA AA AA is the sync, 96 69 the frame start.
var Preamble = [5]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

// HeaderLen is the preamble plus the two LEN bytes.
const HeaderLen = 7

// MaxLen bounds LEN. The longest documented response, a read with a
// fingerprint, has LEN 2314; the bound leaves room for vendor variants.
const MaxLen = 4096

// Frame errors. Each *FrameError wraps one of these.
var (
	ErrChecksum  = errors.New("checksum mismatch")
	ErrLength    = errors.New("bad length")
	ErrTruncated = errors.New("truncated frame")
	ErrPreamble  = errors.New("missing frame preamble")
)

// FrameError describes a malformed frame and keeps the bytes received so
// that they can be logged or kept as a test vector.
type FrameError struct {
	Err   error  // one of ErrChecksum, ErrLength, ErrTruncated, ErrPreamble
	Frame []byte // the bytes received
	Msg   string // detail with the bad value
}

func (e *FrameError) Error() string {
	if len(e.Frame) == 0 {
		return "malformed GA 467 frame: " + e.Msg
	}
	return fmt.Sprintf("malformed GA 467 frame (% X): %s", head(e.Frame, 16), e.Msg)
}

// Unwrap returns the sentinel.
func (e *FrameError) Unwrap() error { return e.Err }

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Checksum returns the XOR of b.
func Checksum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// encode builds a frame around body (CMD PARA DATA or SW1 SW2 SW3 DATA).
func encode(body []byte) []byte {
	n := len(body) + 1
	f := make([]byte, 0, HeaderLen+n)
	f = append(f, Preamble[:]...)
	f = append(f, byte(n>>8), byte(n))
	f = append(f, body...)
	return append(f, Checksum(f[len(Preamble):]))
}

// Split checks a whole frame and returns its body: the bytes between LEN and
// CHK. Errors are *FrameError values.
func Split(f []byte) ([]byte, error) {
	if len(f) < HeaderLen {
		return nil, &FrameError{Err: ErrTruncated, Frame: f,
			Msg: fmt.Sprintf("%d bytes, a frame has at least %d", len(f), HeaderLen+1)}
	}
	if [5]byte(f[:5]) != Preamble {
		return nil, &FrameError{Err: ErrPreamble, Frame: f, Msg: "the first 5 bytes are not AA AA AA 96 69"}
	}
	n := int(f[5])<<8 | int(f[6])
	if n < 2 || n > MaxLen {
		return nil, &FrameError{Err: ErrLength, Frame: f, Msg: fmt.Sprintf("LEN %d is outside 2 to %d", n, MaxLen)}
	}
	if len(f) < HeaderLen+n {
		return nil, &FrameError{Err: ErrTruncated, Frame: f,
			Msg: fmt.Sprintf("LEN %d needs %d bytes, got %d", n, HeaderLen+n, len(f))}
	}
	if len(f) > HeaderLen+n {
		return nil, &FrameError{Err: ErrLength, Frame: f,
			Msg: fmt.Sprintf("LEN %d gives %d bytes, got %d", n, HeaderLen+n, len(f))}
	}
	want := Checksum(f[5 : len(f)-1])
	if got := f[len(f)-1]; got != want {
		return nil, &FrameError{Err: ErrChecksum, Frame: f, Msg: fmt.Sprintf("CHK is %02X, the bytes give %02X", got, want)}
	}
	return f[HeaderLen : len(f)-1], nil
}

// FrameReader reads whole frames from a byte stream, skipping noise before a
// preamble.
type FrameReader struct {
	r *bufio.Reader
	// MaxSkip bounds the noise skipped before a preamble; 0 means 4096 bytes.
	MaxSkip int
}

// NewFrameReader returns a FrameReader on r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 4096)}
}

// Reset drops buffered bytes and reads from r from now on.
func (fr *FrameReader) Reset(r io.Reader) { fr.r.Reset(r) }

// ReadFrame returns the next whole frame, preamble to CHK, checked with
// Split. An error from the underlying reader is returned as is, except that
// io.EOF in the middle of a frame becomes a *FrameError wrapping
// ErrTruncated.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	f, err := fr.sync()
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(fr.r, f[5:7]); err != nil {
		return nil, truncated(f[:5], err)
	}
	n := int(f[5])<<8 | int(f[6])
	if n < 2 || n > MaxLen {
		return nil, &FrameError{Err: ErrLength, Frame: f, Msg: fmt.Sprintf("LEN %d is outside 2 to %d", n, MaxLen)}
	}
	f = append(f, make([]byte, n)...)
	if got, err := io.ReadFull(fr.r, f[HeaderLen:]); err != nil {
		return nil, truncated(f[:HeaderLen+got], err)
	}
	if _, err := Split(f); err != nil {
		return nil, err
	}
	return f, nil
}

// sync consumes bytes up to and including a preamble.
func (fr *FrameReader) sync() ([]byte, error) {
	maxSkip := fr.MaxSkip
	if maxSkip == 0 {
		maxSkip = 4096
	}
	matched := 0
	for skipped := 0; matched < len(Preamble); {
		c, err := fr.r.ReadByte()
		if err != nil {
			if matched > 0 {
				return nil, truncated(Preamble[:matched], err)
			}
			return nil, err
		}
		switch {
		case c == Preamble[matched]:
			matched++
		case c == 0xAA && matched == 3:
			// AA AA AA AA: the sync is still three AA bytes long.
		case c == 0xAA:
			matched = 1
		default:
			matched = 0
		}
		if skipped++; matched == 0 && skipped > maxSkip {
			return nil, &FrameError{Err: ErrPreamble, Msg: fmt.Sprintf("no preamble in %d bytes", maxSkip)}
		}
	}
	f := make([]byte, HeaderLen, HeaderLen+64)
	copy(f, Preamble[:])
	return f, nil
}

func truncated(got []byte, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FrameError{Err: ErrTruncated, Frame: append([]byte(nil), got...),
			Msg: fmt.Sprintf("the stream ended after %d bytes", len(got))}
	}
	return err
}
