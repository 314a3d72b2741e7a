package card

import (
	"context"
	"errors"
	"fmt"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
)

// Direct is an apdu.CardReader wired straight to the emulator, without
// pcscd, for fast tests. It passes the same conformance suite as the PC/SC
// driver. Run need not be running.
type Direct struct {
	E *Emulator
}

// Name returns "direct".
func (d Direct) Name() string { return "direct" }

// ConnectCard waits for a card and returns a connection to it.
func (d Direct) ConnectCard(ctx context.Context) (apdu.Card, error) {
	c, gen, err := d.E.waitPresent(ctx)
	if err != nil {
		return nil, &devices.Error{Device: "direct", Op: "wait for card", Err: fmt.Errorf("%w: %w", devices.ErrTimeout, err)}
	}
	c.reset()
	return &directCard{e: d.E, c: c, gen: gen}, nil
}

type directCard struct {
	e   *Emulator
	c   *chip
	gen int
}

func (d *directCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", devices.ErrTimeout, err)
	}
	rsp, err := d.e.exchange(d.gen, cmd)
	if errors.Is(err, errGone) {
		return nil, &devices.Error{Device: "direct", Op: "transmit", Err: devices.ErrCardRemoved}
	}
	return rsp, err
}

func (d *directCard) ATR() []byte                 { return d.c.atr() }
func (d *directCard) Begin(context.Context) error { return d.alive() }
func (d *directCard) End() error                  { return nil }
func (d *directCard) Close() error                { return nil }

// Reset clears the card's security state, as a reset through the reader
// does.
func (d *directCard) Reset() error {
	if err := d.alive(); err != nil {
		return err
	}
	d.c.reset()
	return nil
}

// Reconnect leaves the card as it is, as SCardReconnect with
// SCARD_LEAVE_CARD does.
func (d *directCard) Reconnect(context.Context) error { return d.alive() }

func (d *directCard) alive() error {
	if !d.e.current(d.gen) {
		return &devices.Error{Device: "direct", Op: "transmit", Err: devices.ErrCardRemoved}
	}
	return nil
}
