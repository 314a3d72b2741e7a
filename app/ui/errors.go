package ui

import (
	"context"
	"errors"
	"fmt"

	"permitdesk/app/config"
	"permitdesk/app/diag"
	"permitdesk/app/issuance"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
)

// Error codes sent to the frontend. The frontend shows the message and keeps
// the code for support; it branches only on the codes listed here.
const (
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
	CodeBadCredentials   = "bad_credentials"
	CodeAccountLocked    = "account_locked"
	CodeAccountDisabled  = "account_disabled"
	CodeNotLoggedIn      = "not_logged_in"
	CodeForbidden        = "forbidden"
	CodeApprovalRequired = "approval_required"
	CodeNotFound         = "not_found"
	CodeBadTransition    = "bad_transition"
	CodeOffline          = "offline"
	CodeInvalidArgument  = "invalid_argument"
	CodeConfigInvalid    = "config_invalid"
	CodeDatabaseTooNew   = "database_too_new"
	CodeTimeout          = "timeout"
	CodeCanceled         = "canceled"
	CodeDeviceNotReady   = "device_not_connected"
	CodeDeviceBusy       = "device_busy"
	CodeDeviceTimeout    = "device_timeout"
	CodeDeviceNoCard     = "device_no_card"
	CodeDeviceUnknownOut = "device_unconfirmed"
	CodeDeviceNotConfig  = "device_not_configured"
	CodeDevice           = "device_error"
	// CodeConfirmRequired means the command uses or changes a card or the
	// printer's settings: ask the operator, then send it again confirmed.
	CodeConfirmRequired = "confirmation_required"
)

// Error is a bound method's failure as the frontend receives it: the
// rejected promise carries {code, message}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FormatError turns any error a bound method returns into an *Error. Wails
// calls it (options.App.ErrorFormatter) before the error crosses the bridge.
func FormatError(err error) any {
	return toError(err)
}

func toError(err error) *Error {
	var ue *Error
	if errors.As(err, &ue) {
		return ue
	}
	return &Error{Code: classify(err), Message: err.Error()}
}

// sentinelCodes maps errors that callers branch on to their codes, in the
// order they are tested.
var sentinelCodes = []struct {
	err  error
	code string
}{
	{config.ErrInvalid, CodeConfigInvalid},
	{diag.ErrConfirmRequired, CodeConfirmRequired},
	{diag.ErrInvalidCommand, CodeInvalidArgument},
	{diag.ErrAuditUnavailable, CodeUnavailable},
	{operators.ErrBadCredentials, CodeBadCredentials},
	{operators.ErrLocked, CodeAccountLocked},
	{operators.ErrDisabled, CodeAccountDisabled},
	{operators.ErrNoSession, CodeNotLoggedIn},
	{operators.ErrSessionExpired, CodeNotLoggedIn},
	{operators.ErrForbidden, CodeForbidden},
	{operators.ErrNoApproval, CodeApprovalRequired},
	{issuance.ErrNotFound, CodeNotFound},
	{issuance.ErrBadTransition, CodeBadTransition},
	{issuance.ErrInvalidLotCount, CodeInvalidArgument},
	{issuance.ErrMissingLotNumber, CodeInvalidArgument},
	{issuance.ErrInvalidLotNumber, CodeInvalidArgument},
	// No conflict code exists, and the operator fixes a duplicate lot number
	// by entering a different one.
	{issuance.ErrDuplicateLot, CodeInvalidArgument},
	{appsync.ErrOffline, CodeOffline},
	{appsync.ErrHouseCodeNotFound, CodeNotFound},
	{appsync.ErrHouseCodeFormat, CodeInvalidArgument},
	{appsync.ErrApplicationNotFound, CodeNotFound},
	{store.ErrTooNew, CodeDatabaseTooNew},
	{overrides.ErrInvalid, CodeInvalidArgument},
	{overrides.ErrNotFound, CodeNotFound},
	{devices.ErrNotConfigured, CodeDeviceNotConfig},
	{devices.ErrNotConnected, CodeDeviceNotReady},
	{devices.ErrBusy, CodeDeviceBusy},
	{devices.ErrTimeout, CodeDeviceTimeout},
	{devices.ErrNoCard, CodeDeviceNoCard},
	{devices.ErrUnconfirmed, CodeDeviceUnknownOut},
	{context.DeadlineExceeded, CodeTimeout},
	{context.Canceled, CodeCanceled},
}

func classify(err error) string {
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	var de *devices.Error
	if errors.As(err, &de) {
		return CodeDevice
	}
	return CodeInternal
}
