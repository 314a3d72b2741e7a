package apdu

import (
	"fmt"
)

// StatusWord is the SW1-SW2 trailer of a response APDU.
type StatusWord uint16

// Status words that callers branch on.
const (
	SWOK                StatusWord = 0x9000
	SWEndOfFile         StatusWord = 0x6282
	SWWrongLength       StatusWord = 0x6700
	SWIncompatibleFile  StatusWord = 0x6981
	SWSecurityStatus    StatusWord = 0x6982
	SWKeyBlocked        StatusWord = 0x6983
	SWConditionsNotMet  StatusWord = 0x6985
	SWWrongData         StatusWord = 0x6A80
	SWFuncNotSupported  StatusWord = 0x6A81
	SWFileNotFound      StatusWord = 0x6A82
	SWRecordNotFound    StatusWord = 0x6A83
	SWNotEnoughSpace    StatusWord = 0x6A84
	SWWrongP1P2         StatusWord = 0x6A86
	SWKeyNotFound       StatusWord = 0x6A88
	SWOffsetBeyondEOF   StatusWord = 0x6B00
	SWInsNotSupported   StatusWord = 0x6D00
	SWClaNotSupported   StatusWord = 0x6E00
	SWNoDiagnosis       StatusWord = 0x6F00
	SWMemoryFailure     StatusWord = 0x6581
	SWAppPermanentLock  StatusWord = 0x9303
	SWKeyNotFoundFMCOS  StatusWord = 0x9403
	SWVerifyFailedFirst StatusWord = 0x63C0 // 63Cx: x tries left
)

// SW1 returns the first status byte.
func (s StatusWord) SW1() byte { return byte(s >> 8) }

// SW2 returns the second status byte.
func (s StatusWord) SW2() byte { return byte(s) }

// OK reports whether the status is 9000.
func (s StatusWord) OK() bool { return s == SWOK }

// TriesLeft returns x for a status of 63Cx and reports whether it is one.
func (s StatusWord) TriesLeft() (int, bool) {
	if s&0xFFF0 == 0x63C0 {
		return int(s & 0x0F), true
	}
	return 0, false
}

// String returns the status as four hexadecimal digits.
func (s StatusWord) String() string { return fmt.Sprintf("%04X", uint16(s)) }

var meanings = map[StatusWord]string{
	0x9000: "success",
	0x6281: "returned data may be corrupted",
	0x6282: "end of file reached before Le bytes",
	0x6400: "execution error, state unchanged",
	0x6581: "memory (EEPROM) write failed",
	0x6700: "wrong length",
	0x6900: "CLA does not match the line-protection requirement",
	0x6981: "command incompatible with the file structure",
	0x6982: "security status not satisfied (authenticate first)",
	0x6983: "authentication key blocked",
	0x6985: "conditions of use not satisfied",
	0x6987: "secure-messaging data missing",
	0x6988: "secure-messaging data incorrect",
	0x6A80: "incorrect data field",
	0x6A81: "function not supported, no MF, or card locked",
	0x6A82: "file or application not found",
	0x6A83: "record not found",
	0x6A84: "not enough memory space in the file",
	0x6A86: "incorrect P1 or P2",
	0x6A88: "referenced key or data not found",
	0x6B00: "offset beyond the end of the file",
	0x6D00: "instruction not supported",
	0x6E00: "class not supported",
	0x6F00: "no precise diagnosis",
	0x9302: "MAC invalid",
	0x9303: "application permanently locked",
	0x9401: "insufficient balance",
	0x9403: "key not found",
	0x9406: "required MAC unavailable",
}

// Meaning returns the ISO 7816-4 or FMCOS meaning of the status word.
func (s StatusWord) Meaning() string {
	if m, ok := meanings[s]; ok {
		return m
	}
	switch s.SW1() {
	case 0x61:
		return fmt.Sprintf("%d more response bytes available (GET RESPONSE)", neShort(s.SW2()))
	case 0x6C:
		return fmt.Sprintf("wrong Le: repeat the command with Le = %d", neShort(s.SW2()))
	case 0x63:
		if n, ok := s.TriesLeft(); ok {
			return fmt.Sprintf("verification failed, %d tries left", n)
		}
		return "warning, non-volatile memory changed"
	case 0x62:
		return "warning, non-volatile memory unchanged"
	case 0x64, 0x65, 0x66:
		return "execution error"
	case 0x67, 0x68, 0x69, 0x6A, 0x6B:
		return "checking error"
	}
	return "unknown status word"
}

// StatusError is a response whose status word is not 9000. Command names the
// command that failed without its data, so a key or cryptogram never appears.
type StatusError struct {
	Command string
	SW      StatusWord
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s returned %s: %s", e.Command, e.SW, e.SW.Meaning())
}

// Response is a parsed response APDU.
type Response struct {
	Data []byte
	SW   StatusWord
}

// ParseResponse splits a response APDU into its data and status word. A
// response shorter than two bytes is malformed; ebfe/scard returns an empty
// response with a nil error on some failures, so callers must not skip this
// check.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes has no status word", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: StatusWord(b[n])<<8 | StatusWord(b[n+1])}, nil
}

// Bytes encodes the response as data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, r.SW.SW1(), r.SW.SW2())
}

// Err returns a *StatusError for a status other than 9000, and nil for 9000.
func (r Response) Err(c Command) error {
	if r.SW.OK() {
		return nil
	}
	return &StatusError{Command: c.Name(), SW: r.SW}
}
