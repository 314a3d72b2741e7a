package pcsc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebfe/scard"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
)

// Card is a connection to the card in a Reader.
type Card struct {
	r    *Reader
	name string

	mu    sync.Mutex
	sctx  *scard.Context
	card  *scard.Card
	atr   []byte
	inTxn bool
}

// Connect waits for a card in the configured reader and connects to it with
// any protocol.
func (r *Reader) Connect(ctx context.Context) (*Card, error) {
	name, err := r.WaitCard(ctx)
	if err != nil {
		return nil, err
	}
	sctx, err := r.context(ctx)
	if err != nil {
		return nil, err
	}
	mode := scard.ShareShared
	if r.opts.Exclusive {
		mode = scard.ShareExclusive
	}
	sc, err := sctx.Connect(name, mode, scard.ProtocolAny)
	if err != nil {
		return nil, r.check(sctx, "connect", err)
	}
	c := &Card{r: r, name: name, sctx: sctx, card: sc}
	if err := c.readStatus(); err != nil {
		_ = sc.Disconnect(scard.LeaveCard)
		return nil, err
	}
	return c, nil
}

func (c *Card) readStatus() error {
	st, err := c.card.Status()
	if err != nil {
		return c.r.check(c.sctx, "card status", err)
	}
	c.atr = st.Atr
	return nil
}

// ATR returns the card's answer to reset as read at connect time.
func (c *Card) ATR() []byte { return append([]byte(nil), c.atr...) }

// ReaderName returns the full name of the reader the card is in.
func (c *Card) ReaderName() string { return c.name }

// Protocol returns "T=0" or "T=1".
func (c *Card) Protocol() string {
	if c.card.ActiveProtocol() == scard.ProtocolT0 {
		return "T=0"
	}
	return "T=1"
}

// Transmit sends one raw command APDU. A failure wraps one of the sentinels
// in the package doc; an empty response is an error.
func (c *Card) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, mapError(c.name, "transmit", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil, &devices.Error{Device: c.name, Op: "transmit", Code: CodeProtocol,
			Err: fmt.Errorf("%w: card connection already closed", devices.ErrNotConnected)}
	}
	rsp, err := c.card.Transmit(cmd)
	if err != nil {
		return nil, c.transmitError(err)
	}
	if len(rsp) < 2 {
		if c.absent() {
			return nil, mapError(c.name, "transmit", scard.ErrRemovedCard)
		}
		// vpcd and contactless readers return an empty response with no
		// error when the card leaves the field mid-command, before the
		// reader reports it gone. The command's outcome is unknown.
		return nil, &devices.Error{Device: c.name, Op: "transmit", Code: CodeCardRemoved,
			Err: fmt.Errorf("%w: %w: %w: reader returned %d bytes and no error", devices.ErrCardRemoved,
				devices.ErrUnconfirmed, apdu.ErrMalformed, len(rsp))}
	}
	return rsp, nil
}

// transmitError maps a transmit failure, checking presence so a card
// that vanished is reported as removed whatever the reader said.
func (c *Card) transmitError(err error) error {
	if !isServiceLost(err) && c.absent() {
		return mapError(c.name, "transmit", scard.ErrRemovedCard)
	}
	return c.r.check(c.sctx, "transmit", err)
}

// readerState returns the reader's current event state.
func (c *Card) readerState() (scard.StateFlag, bool) {
	rs := []scard.ReaderState{{Reader: c.name, CurrentState: scard.StateUnaware}}
	if err := c.sctx.GetStatusChange(rs, 0); err != nil {
		return 0, false
	}
	return rs[0].EventState, true
}

// absent reports whether the reader now shows no card.
func (c *Card) absent() bool {
	state, ok := c.readerState()
	return ok && state&scard.StatePresent == 0
}

// Begin starts a PC/SC transaction so no other application interleaves
// commands until End.
func (c *Card) Begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return mapError(c.name, "begin transaction", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.card.BeginTransaction(); err != nil {
		return c.r.check(c.sctx, "begin transaction", err)
	}
	c.inTxn = true
	return nil
}

// End ends the transaction and leaves the card as it is.
func (c *Card) End() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.inTxn {
		return nil
	}
	c.inTxn = false
	return c.r.check(c.sctx, "end transaction", c.card.EndTransaction(scard.LeaveCard))
}

// Reconnect re-establishes the connection after another application reset
// the card. The card's security state is lost: select and authenticate
// again.
func (c *Card) Reconnect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return mapError(c.name, "reconnect", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inTxn = false
	mode := scard.ShareShared
	if c.r.opts.Exclusive {
		mode = scard.ShareExclusive
	}
	if err := c.card.Reconnect(mode, scard.ProtocolAny, scard.LeaveCard); err != nil {
		return c.r.check(c.sctx, "reconnect", err)
	}
	return c.readStatus()
}

// Reset resets the card (SCardReconnect with SCARD_RESET_CARD). Other
// applications connected to it see SCARD_W_RESET_CARD on their next call.
func (c *Card) Reset() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	mode := scard.ShareShared
	if c.r.opts.Exclusive {
		mode = scard.ShareExclusive
	}
	return c.r.check(c.sctx, "reset", c.card.Reconnect(mode, scard.ProtocolAny, scard.ResetCard))
}

// Close ends any transaction and disconnects, leaving the card powered.
func (c *Card) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil
	}
	if c.inTxn {
		_ = c.card.EndTransaction(scard.LeaveCard)
	}
	err := c.card.Disconnect(scard.LeaveCard)
	c.card = nil
	if err != nil && (errors.Is(err, scard.ErrRemovedCard) || errors.Is(err, scard.ErrResetCard) || isServiceLost(err)) {
		return nil
	}
	return mapError(c.name, "disconnect", err)
}

// ConnectCard is Connect returning the apdu.Card interface, so a Reader is
// an apdu.CardReader.
func (r *Reader) ConnectCard(ctx context.Context) (apdu.Card, error) {
	c, err := r.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return c, nil
}
