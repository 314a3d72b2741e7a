// Package idreader drives second-generation ID card readers (SAM modules
// following GA 467) over RS-232 or USB HID, and returns the decoded holder
// identity with the raw WLT photo.
//
// A read is three commands: find (20 01), select (20 02) and read (30 01, or
// 30 10 with the fingerprint block). After a successful read the SAM refuses
// to find the same card again until it has left the field, so a second read
// needs the card lifted and placed again.
//
// Over HID the frames travel in 64-byte reports by a scheme defined in this
// package (see Chunk), because no public mapping exists. Readers that use a
// vendor's own HID scheme need their own Transport.
//
// Retries: a damaged response frame, or the reader reporting a damaged
// command (SW3 10 or 11), is resent up to Options.Retries times. Every
// command here only reads, so resending is safe. Timeouts are not retried.
//
// NOTE: resending a read assumes the SAM accepts a second 30 01 without a new
// select, as the emulator does, but no physical reader has confirmed it.
package idreader

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/ga467"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idcard"
	"permitdesk/devices/serialport"
)

// Error codes set on *devices.Error.
const (
	CodeNoCard      devices.Code = "no_card"
	CodeCardRemoved devices.Code = "card_removed"
	CodeWrongCard   devices.Code = "wrong_card"
	CodeBadFrame    devices.Code = "bad_frame"
	CodeBadField    devices.Code = "bad_field"
	CodeUnsupported devices.Code = "unsupported_card"
	CodeTimeout     devices.Code = "timeout"
	CodeDisconnect  devices.Code = "disconnected"
	CodeReader      devices.Code = "reader_fault"
)

// Options configure a Reader.
type Options struct {
	// Name is the device name used in errors; empty means "idreader".
	Name string
	// Timeout bounds each command's exchange; 0 means 3s, which covers the
	// about 1.1s a real reader needs for a 30 01 read.
	Timeout time.Duration
	// Retries is how often a damaged exchange is resent; 0 means 2, and a
	// negative value disables retries.
	Retries int
	// Logger receives retries at debug level; nil discards them.
	Logger *slog.Logger
}

// Reader is an open ID card reader. It is not safe for concurrent use.
type Reader struct {
	t    Transport
	opts Options
	log  *slog.Logger
}

// New returns a Reader over an open transport.
func New(t Transport, opts Options) *Reader {
	if opts.Name == "" {
		opts.Name = "idreader"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{t: t, opts: opts, log: log.With("device", opts.Name)}
}

// OpenSerial opens a reader on a serial port.
func OpenSerial(port serialport.Options, opts Options) (*Reader, error) {
	p, err := serialport.Open(port)
	if err != nil {
		return nil, err
	}
	return New(NewSerialTransport(p), opts), nil
}

// OpenHID opens the one HID reader that f matches on bus.
func OpenHID(bus hidio.Bus, f hidio.Filter, opts Options) (*Reader, error) {
	info, err := hidio.Find(bus, f)
	if err != nil {
		return nil, err
	}
	dev, err := bus.Open(info)
	if err != nil {
		return nil, err
	}
	return New(NewHIDTransport(dev), opts), nil
}

// Close closes the transport.
func (r *Reader) Close() error { return r.t.Close() }

// Status runs the SAM self-check (11 FF).
func (r *Reader) Status(ctx context.Context) error {
	_, err := r.command(ctx, ga467.CmdStatus)
	return err
}

// SAMID returns the SAM management number (12 FF) in hexadecimal.
//
// NOTE: vendors print this number in a dotted or dashed form whose exact
// rules are not public, so it is shown as plain hexadecimal.
func (r *Reader) SAMID(ctx context.Context) (string, error) {
	data, err := r.command(ctx, ga467.CmdSAMID)
	return hex.EncodeToString(data), err
}

// Find looks for a card in the field and returns its 8-byte IIN. With no
// card it returns an error wrapping devices.ErrNoCard.
func (r *Reader) Find(ctx context.Context) ([]byte, error) {
	return r.command(ctx, ga467.CmdFind)
}

// Select selects the card found and returns its 8-byte serial number.
func (r *Reader) Select(ctx context.Context) ([]byte, error) {
	return r.command(ctx, ga467.CmdSelect)
}

// ReadSelected reads the selected card: text and photo, and the fingerprint
// block when withFingerprint is set. A bad field is an error of code
// bad_field naming the field and value, and no partial record is returned.
func (r *Reader) ReadSelected(ctx context.Context, withFingerprint bool) (ga467.Record, error) {
	cmd := ga467.CmdReadBasic
	if withFingerprint {
		cmd = ga467.CmdReadWithFinger
	}
	data, err := r.command(ctx, cmd)
	if err != nil {
		return ga467.Record{}, err
	}
	rec, err := ga467.DecodeRead(cmd, data)
	if err != nil {
		return ga467.Record{}, r.wrap(cmd, err)
	}
	return rec, nil
}

// Read runs find, select and read on the card in the field.
func (r *Reader) Read(ctx context.Context, withFingerprint bool) (ga467.Record, error) {
	if _, err := r.Find(ctx); err != nil {
		return ga467.Record{}, err
	}
	if _, err := r.Select(ctx); err != nil {
		return ga467.Record{}, err
	}
	return r.ReadSelected(ctx, withFingerprint)
}

// WaitRead polls for a card every interval (0 means 500ms) until one is read
// or ctx ends. Errors other than "no card" end the wait. When ctx ends after
// the reader has reported "no card", the error wraps devices.ErrNoCard (code
// CodeNoCard) rather than a timeout, because the reader did respond.
func (r *Reader) WaitRead(ctx context.Context, interval time.Duration, withFingerprint bool) (ga467.Record, error) {
	if interval == 0 {
		interval = 500 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var noCard error
	for {
		rec, err := r.Read(ctx, withFingerprint)
		if noCard != nil && err != nil && ctx.Err() != nil {
			return ga467.Record{}, r.waitEnded(noCard, ctx.Err())
		}
		if !errors.Is(err, devices.ErrNoCard) {
			return rec, err
		}
		noCard = err
		select {
		case <-ctx.Done():
			return ga467.Record{}, r.waitEnded(noCard, ctx.Err())
		case <-t.C:
		}
	}
}

// waitEnded returns the error for a wait that ended with the reader still
// reporting no card.
func (r *Reader) waitEnded(noCard, ctxErr error) error {
	return r.wrap(ga467.CmdFind, fmt.Errorf("no card placed before the wait ended (%w): %w", ctxErr, noCard))
}

// command sends c, resending damaged exchanges, and returns the response
// data of a success status.
func (r *Reader) command(ctx context.Context, c ga467.Command) ([]byte, error) {
	frame := ga467.EncodeCommand(c, nil)
	for attempt := 0; ; attempt++ {
		resp, err := r.exchange(ctx, frame)
		if err == nil {
			err = resp.Status.Err(c)
		}
		if err == nil {
			return resp.Data, nil
		}
		if !retryable(err) || attempt >= r.opts.Retries {
			return nil, r.wrap(c, err)
		}
		r.log.Debug("resending command", "command", c.String(), "attempt", attempt+1, "err", err)
	}
}

func (r *Reader) exchange(ctx context.Context, frame []byte) (ga467.Response, error) {
	raw, err := r.t.Exchange(ctx, frame, r.opts.Timeout)
	if err != nil {
		return ga467.Response{}, err
	}
	return ga467.ParseResponse(raw)
}

func retryable(err error) bool {
	var fe *ga467.FrameError
	return errors.As(err, &fe) || errors.Is(err, ErrReassembly) || errors.Is(err, ga467.ErrTransmission)
}

// wrap turns err into a *devices.Error with an operator-facing code.
func (r *Reader) wrap(c ga467.Command, err error) error {
	return &devices.Error{Device: r.opts.Name, Op: c.String(), Code: classify(err), Err: err}
}

func classify(err error) devices.Code {
	var fe *ga467.FrameError
	var field *idcard.FieldError
	switch {
	case errors.Is(err, devices.ErrNoCard):
		return CodeNoCard
	case errors.Is(err, devices.ErrCardRemoved):
		return CodeCardRemoved
	case errors.Is(err, devices.ErrWrongCard):
		return CodeWrongCard
	case errors.Is(err, devices.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, devices.ErrNotConnected):
		return CodeDisconnect
	case errors.As(err, &field):
		return CodeBadField
	case errors.Is(err, ga467.ErrUnsupportedCard):
		return CodeUnsupported
	case errors.As(err, &fe), errors.Is(err, ErrReassembly), errors.Is(err, ga467.ErrTransmission):
		return CodeBadFrame
	}
	var se *ga467.StatusError
	if errors.As(err, &se) {
		return CodeReader
	}
	return ""
}

// String describes the reader for logs.
func (r *Reader) String() string { return fmt.Sprintf("ID card reader %s", r.opts.Name) }
