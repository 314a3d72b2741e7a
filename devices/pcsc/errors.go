package pcsc

import (
	"context"
	"errors"
	"fmt"

	"github.com/ebfe/scard"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
)

// ErrServiceLost reports that the PC/SC service (pcscd) stopped or
// restarted, so every card handle is gone. The Reader re-establishes its
// context on the next call; callers reconnect as after a card removal. It
// wraps devices.ErrNotConnected.
var ErrServiceLost = fmt.Errorf("PC/SC service lost: %w", devices.ErrNotConnected)

// Codes of the device errors this package returns.
const (
	CodeNoCard        devices.Code = "no_card"
	CodeCardRemoved   devices.Code = "card_removed"
	CodeCardReset     devices.Code = "card_reset"
	CodeServiceLost   devices.Code = "pcsc_service_lost"
	CodeReaderMissing devices.Code = "reader_missing"
	CodeBusy          devices.Code = "reader_busy"
	CodeTimeout       devices.Code = "timeout"
	CodeCardMute      devices.Code = "card_mute"
	CodeProtocol      devices.Code = "pcsc_error"
)

// mapError turns a PC/SC error into a *devices.Error that wraps the
// matching sentinel and the original scard.Error, so errors.Is works for
// both. A nil error stays nil.
func mapError(device, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &devices.Error{Device: device, Op: op, Code: CodeTimeout, Err: fmt.Errorf("%w: %w", devices.ErrTimeout, err)}
	}
	var se scard.Error
	if !errors.As(err, &se) {
		return &devices.Error{Device: device, Op: op, Code: CodeProtocol, Err: err}
	}
	code, sentinel := classify(se)
	if sentinel == nil {
		return &devices.Error{Device: device, Op: op, Code: code, Err: err}
	}
	return &devices.Error{Device: device, Op: op, Code: code, Err: fmt.Errorf("%w: %w", sentinel, err)}
}

func classify(se scard.Error) (devices.Code, error) {
	switch se {
	case scard.ErrNoSmartcard:
		return CodeNoCard, devices.ErrNoCard
	case scard.ErrRemovedCard, scard.ErrCommError, scard.ErrNotTransacted:
		// vpcd and contactless readers report a card that left the field
		// mid-command as a failed transaction or communication error.
		return CodeCardRemoved, devices.ErrCardRemoved
	case scard.ErrResetCard:
		return CodeCardReset, apdu.ErrCardReset
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrInvalidHandle, scard.ErrShutdown:
		return CodeServiceLost, ErrServiceLost
	case scard.ErrUnknownReader, scard.ErrReaderUnavailable, scard.ErrNoReadersAvailable:
		return CodeReaderMissing, devices.ErrNotConnected
	case scard.ErrSharingViolation:
		return CodeBusy, devices.ErrBusy
	case scard.ErrTimeout, scard.ErrCancelled:
		return CodeTimeout, devices.ErrTimeout
	case scard.ErrUnresponsiveCard, scard.ErrUnpoweredCard:
		return CodeCardMute, devices.ErrNoCard
	}
	return CodeProtocol, nil
}

// isServiceLost reports whether err means the context must be rebuilt.
func isServiceLost(err error) bool {
	var se scard.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se {
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrInvalidHandle, scard.ErrShutdown:
		return true
	}
	return false
}
