package ga467

import (
	"errors"
	"fmt"

	"permitdesk/devices"
)

// Status is the three status bytes of a response. SW1 and SW2 relay the
// card's APDU status; SW3 is the SAM's own result code.
type Status struct {
	SW1, SW2, SW3 byte
}

// SW3 result codes of GA 467.
const (
	SWSuccess       byte = 0x90 // operation succeeded
	SWNoContent     byte = 0x91 // no such content, e.g. no appended address
	SWFound         byte = 0x9F // card found
	SWBadChecksum   byte = 0x10 // the SAM received a bad checksum
	SWBadLength     byte = 0x11 // the SAM received a bad length
	SWBadCommand    byte = 0x21 // bad command, value or sequence
	SWUnauthorised  byte = 0x23 // operation not authorised
	SWUnknown       byte = 0x24 // unrecognised error
	SWCardAuth      byte = 0x31 // the card failed to authenticate the SAM
	SWSAMAuth       byte = 0x32 // the SAM failed to authenticate the card
	SWVerify        byte = 0x33 // information verification error
	SWNoCardYet     byte = 0x34 // no card found yet
	SWFingerprint   byte = 0x37 // fingerprint verification error
	SWWrongCard     byte = 0x40 // unrecognised card type
	SWReadFailed    byte = 0x41 // reading the card failed
	SWRandomFailed  byte = 0x47 // get-random failed
	SWWriteFailed   byte = 0x50 // writing the card failed
	SWSelfTest      byte = 0x60 // SAM self-test failed
	SWLogin         byte = 0x61 // user login failed
	SWNotAuthorised byte = 0x66 // SAM not authorised
	SWFindFailed    byte = 0x80 // find failed: no card, or the card stayed in the field after a read
	SWSelectFailed  byte = 0x81 // select failed
)

// Statuses the emulator and tests use.
var (
	StatusOK    = Status{0, 0, SWSuccess}
	StatusFound = Status{0, 0, SWFound}
)

var statusText = map[byte]string{
	SWSuccess: "success", SWNoContent: "no such content", SWFound: "card found",
	SWBadChecksum: "the reader received a bad checksum", SWBadLength: "the reader received a bad length",
	SWBadCommand: "bad command or sequence", SWUnauthorised: "operation not authorised",
	SWUnknown: "unrecognised error", SWCardAuth: "the card failed to authenticate the reader",
	SWSAMAuth: "the reader failed to authenticate the card", SWVerify: "information verification error",
	SWNoCardYet: "no card found yet", SWFingerprint: "fingerprint verification error",
	SWWrongCard: "not an ID card", SWReadFailed: "reading the card failed",
	SWRandomFailed: "get-random failed", SWWriteFailed: "writing the card failed",
	SWSelfTest: "the SAM failed its self-test", SWLogin: "user login failed",
	SWNotAuthorised: "the SAM is not authorised", SWFindFailed: "no card found",
	SWSelectFailed: "selecting the card failed",
}

// ErrTransmission means the reader saw a damaged command frame; resending
// the same command is safe.
var ErrTransmission = errors.New("command damaged in transmission")

// StatusError is a response whose SW3 is not a success code.
type StatusError struct {
	Command Command
	Status  Status
}

func (e *StatusError) Error() string {
	s := e.Status
	text := statusText[s.SW3]
	if text == "" {
		text = "undocumented status"
	}
	msg := fmt.Sprintf("%s: reader status %02X %02X %02X (%s)", e.Command, s.SW1, s.SW2, s.SW3, text)
	if hint := statusHint(s.SW3); hint != "" {
		msg += ": " + hint
	}
	return msg
}

func statusHint(sw3 byte) string {
	switch sw3 {
	case SWFindFailed, SWNoCardYet:
		return "place the ID card on the reader; after a read, lift it and place it again"
	case SWSelectFailed, SWReadFailed:
		return "keep the card still on the reader and read again"
	case SWWrongCard:
		return "the card on the reader is not a national ID card"
	case SWSelfTest, SWNotAuthorised, SWLogin:
		return "the reader's SAM module is faulty; replace the reader"
	}
	return ""
}

// Unwrap maps the status to the devices sentinel that callers branch on.
func (e *StatusError) Unwrap() error {
	switch e.Status.SW3 {
	case SWFindFailed, SWNoCardYet:
		return devices.ErrNoCard
	case SWSelectFailed, SWReadFailed:
		return devices.ErrCardRemoved
	case SWWrongCard:
		return devices.ErrWrongCard
	case SWBadChecksum, SWBadLength:
		return ErrTransmission
	}
	return nil
}

// OK reports whether SW3 is one of the success codes 90 or 9F.
func (s Status) OK() bool { return s.SW3 == SWSuccess || s.SW3 == SWFound }

// Err returns nil for a success status and a *StatusError otherwise.
func (s Status) Err(c Command) error {
	if s.OK() {
		return nil
	}
	return &StatusError{Command: c, Status: s}
}

// String formats the status as three hexadecimal bytes.
func (s Status) String() string { return fmt.Sprintf("%02X %02X %02X", s.SW1, s.SW2, s.SW3) }
