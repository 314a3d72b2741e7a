// Package devices is the device-abstraction layer of permitdesk: the kinds of
// device a workstation drives, their states, and the errors that callers
// branch on. Each driver and each emulator is a package below this one; the
// application uses them only through the interfaces and errors declared here
// and in the driver packages.
//
// Errors: drivers wrap one of the sentinels below with %w so callers can use
// errors.Is. ErrTimeout and ErrBusy are safe to retry for idempotent steps;
// ErrUnconfirmed never is, because the device may have acted.
package devices

import (
	"errors"
	"fmt"
)

// Kind names a class of device.
type Kind string

// Device kinds known to the workstation.
const (
	KindEncoder  Kind = "encoder"  // PC/SC reader that writes permit chips
	KindPSAM     Kind = "psam"     // PC/SC reader holding the key card
	KindPrinter  Kind = "printer"  // serial card printer with a contactless station
	KindRewriter Kind = "rewriter" // serial rewritable-strip printer
	KindIDReader Kind = "idreader" // national ID card reader (HID or serial)
	KindScanner  Kind = "scanner"  // barcode scanner (HID POS)
)

// State is the connection state of a device as the registry reports it.
type State string

// Device states.
const (
	StateAbsent     State = "absent"     // configured but not found
	StateConnecting State = "connecting" // found, opening or re-opening
	StateReady      State = "ready"      // open and idle
	StateBusy       State = "busy"       // open and working
	StateError      State = "error"      // open or found, but failing; see the reason
)

// Sentinel errors that callers branch on.
var (
	ErrNoCard        = errors.New("no card present")
	ErrCardRemoved   = errors.New("card removed")
	ErrWrongCard     = errors.New("a different card is present")
	ErrNotConnected  = errors.New("device not connected")
	ErrTimeout       = errors.New("device timed out")
	ErrBusy          = errors.New("device busy")
	ErrUnconfirmed   = errors.New("device outcome unconfirmed")
	ErrNotConfigured = errors.New("device not configured")
	// ErrOutOfStep means a reply belonged to an earlier command, such as one
	// from a process that was killed. The device and the card are not at
	// fault, and the driver resynchronises before its next command.
	ErrOutOfStep = errors.New("device link out of step: the reply belongs to an earlier command")
)

// Code classifies a device failure for operators and for the UI. The zero
// value means the cause is unknown.
type Code string

// Error is a device failure with an operator-facing code. Op is the operation
// that failed ("print", "select", "read text"), Device the configured name.
type Error struct {
	Device string
	Op     string
	Code   Code
	Err    error
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Device != "" {
		msg = e.Device + ": " + msg
	}
	if e.Code != "" {
		msg += " [" + string(e.Code) + "]"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error around a formatted cause.
func Errorf(device, op string, code Code, format string, args ...any) *Error {
	return &Error{Device: device, Op: op, Code: code, Err: fmt.Errorf(format, args...)}
}
