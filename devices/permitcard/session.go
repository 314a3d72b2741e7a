package permitcard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
)

// Errors that callers branch on, besides the devices sentinels.
var (
	// ErrAuthFailed: the card rejected the cryptogram, so the master key
	// does not match the card. Never retried automatically.
	ErrAuthFailed = errors.New("card external authentication failed")
	// ErrKeyLocked: the card's key is blocked after too many failures.
	ErrKeyLocked = errors.New("card key blocked")
	// ErrNotBlank: Personalise found a card that is already issued.
	ErrNotBlank = errors.New("card is not blank")
	// ErrVerify: read-back data differ from what was written.
	ErrVerify = errors.New("card read-back differs from the data written")
)

// session is one card from connect to close. It reconnects after a reset,
// a removal or a lost PC/SC service, but only to the card it started with.
type session struct {
	enc    *Encoder
	card   apdu.Card
	x      *apdu.Exchanger
	serial Serial
	inDF   bool
	authed bool
	count  apdu.Counter // traffic of closed exchangers
}

func (e *Encoder) open(ctx context.Context) (*session, error) {
	s := &session{enc: e}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	serial, _, err := s.readCardInfo(ctx)
	if err != nil && s.recoverable(err) {
		serial, err = s.reacquire(ctx, max(s.enc.opts.RepresentWait, openWait))
	}
	if err != nil {
		s.close()
		return nil, err
	}
	s.serial = serial
	return s, nil
}

// openWait bounds the retries when the first card read fails, e.g. on a
// card that the reader still shows after it left.
const openWait = 5 * time.Second

// reacquire connects again and reads the serial, retrying link failures
// with backoff until wait elapses. Polling is needed because vpcd and some
// contactless readers drop a command while the reader still shows the
// card, and pcscd raises no event when the card responds again.
func (s *session) reacquire(ctx context.Context, wait time.Duration) (Serial, error) {
	wctx, cancel := context.WithTimeout(ctx, max(wait, 0))
	defer cancel()
	backoff := 50 * time.Millisecond
	for {
		s.close()
		// pcscd can still list a card that has just left the field, so a
		// connect that finds no card is retried like a failed read.
		err := s.connect(wctx)
		if err == nil {
			var serial Serial
			serial, _, err = s.readCardInfo(wctx)
			if err == nil {
				return serial, nil
			}
		}
		if !s.recoverable(err) {
			return Serial{}, err
		}
		select {
		case <-wctx.Done():
			return Serial{}, fmt.Errorf("%w: no card responded within %s: %w", devices.ErrCardRemoved, wait, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func (s *session) connect(ctx context.Context) error {
	card, err := s.enc.opts.Reader.ConnectCard(ctx)
	if err != nil {
		return err
	}
	s.card = card
	s.x = apdu.NewExchanger(card, apdu.ExchangeOptions{Extended: s.enc.opts.Extended})
	s.inDF, s.authed = false, false
	return nil
}

// resetter is implemented by cards that can be reset on close (the PC/SC
// driver and the emulator's direct reader).
type resetter interface{ Reset() error }

// close disconnects. An authenticated card is reset first, so its write
// access does not outlive the session for the next application.
func (s *session) close() {
	if s.card == nil {
		return
	}
	s.addCount()
	if r, ok := s.card.(resetter); ok && s.authed {
		_ = r.Reset()
	}
	_ = s.card.Close()
	s.card = nil
	s.inDF, s.authed = false, false
}

func (s *session) addCount() {
	s.count.APDUs += s.x.Count.APDUs
	s.count.BytesSent += s.x.Count.BytesSent
	s.count.BytesRecv += s.x.Count.BytesRecv
	s.x.Count = apdu.Counter{}
}

// traffic returns everything exchanged so far.
func (s *session) traffic() apdu.Counter {
	c := s.count
	if s.x != nil {
		c.APDUs += s.x.Count.APDUs
		c.BytesSent += s.x.Count.BytesSent
		c.BytesRecv += s.x.Count.BytesRecv
	}
	return c
}

// step runs fn inside a transaction with the DF selected and, when auth is
// set, the card authenticated. After a card reset it reconnects, selects
// and authenticates again, then retries fn once. After a removal or a lost
// PC/SC service it waits for the same card to return, then retries fn once.
// fn must be idempotent.
func (s *session) step(ctx context.Context, name string, auth bool, fn func(context.Context) error) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		err = s.tryStep(ctx, auth, fn)
		if err == nil {
			s.enc.hook(name)
			return nil
		}
		if attempt > 0 || !s.recoverable(err) {
			break
		}
		s.enc.log.Warn("card step interrupted, recovering", "step", name, "serial", s.serial.String(), "err", err)
		if rerr := s.recover(ctx, err); rerr != nil {
			return fmt.Errorf("%s: %w (after: %w)", name, rerr, err)
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func (s *session) tryStep(ctx context.Context, auth bool, fn func(context.Context) error) error {
	if err := s.card.Begin(ctx); err != nil {
		return err
	}
	defer s.card.End()
	if err := s.selectDF(ctx); err != nil {
		return err
	}
	if auth && !s.authed {
		if err := s.authenticate(ctx); err != nil {
			return err
		}
	}
	return fn(ctx)
}

func (s *session) recoverable(err error) bool {
	return errors.Is(err, apdu.ErrCardReset) || errors.Is(err, devices.ErrCardRemoved) ||
		errors.Is(err, devices.ErrNotConnected) || errors.Is(err, devices.ErrNoCard)
}

// recover reconnects after err. A reset keeps the connection; anything
// else waits up to Options.RepresentWait for a card and refuses any card
// but the one the session started with.
func (s *session) recover(ctx context.Context, cause error) error {
	s.inDF, s.authed = false, false
	if errors.Is(cause, apdu.ErrCardReset) {
		if err := s.card.Reconnect(ctx); err == nil {
			return nil
		}
	}
	wait := s.enc.opts.RepresentWait
	if wait <= 0 {
		s.close()
		return fmt.Errorf("%w: card %s left the reader", devices.ErrCardRemoved, s.serial)
	}
	serial, err := s.reacquire(ctx, wait)
	if err != nil {
		if errors.Is(err, devices.ErrTimeout) {
			return fmt.Errorf("%w: card %s did not return within %s: present the same card again and repeat the command",
				devices.ErrCardRemoved, s.serial, wait)
		}
		return err
	}
	if serial != s.serial {
		s.close()
		return fmt.Errorf("%w: card %s is in the reader but the work started on card %s: "+
			"remove it and present card %s", devices.ErrWrongCard, serial, s.serial, s.serial)
	}
	return nil
}

func (s *session) selectDF(ctx context.Context) error {
	if s.inDF {
		return nil
	}
	if _, err := s.x.Run(ctx, apdu.SelectAID(AID, apdu.SelectNoData)); err != nil {
		var se *apdu.StatusError
		if errors.As(err, &se) && se.SW == apdu.SWFileNotFound {
			return fmt.Errorf("%w: the card has no permit application (AID %X): it is not a permit card",
				ErrBadContent, AID)
		}
		return err
	}
	s.inDF = true
	return nil
}

func (s *session) selectEF(ctx context.Context, fid uint16) error {
	_, err := s.x.Run(ctx, apdu.SelectFID(fid, apdu.SelectNoData))
	return err
}

// authenticate runs GET CHALLENGE and EXTERNAL AUTHENTICATE with a
// cryptogram from the key provider.
func (s *session) authenticate(ctx context.Context) error {
	if s.enc.opts.Keys == nil {
		return fmt.Errorf("%w: no card key source configured: set keys.source", devices.ErrNotConfigured)
	}
	challenge, err := s.x.Run(ctx, apdu.GetChallenge(8))
	if err != nil {
		return err
	}
	crypt, err := s.enc.opts.Keys.Cryptogram(ctx, s.serial[:], challenge)
	if err != nil {
		return err
	}
	_, err = s.x.Run(ctx, apdu.ExternalAuthenticate(KeyID, crypt))
	if err != nil {
		return authError(s.serial, err)
	}
	s.authed = true
	return nil
}

func authError(serial Serial, err error) error {
	var se *apdu.StatusError
	if !errors.As(err, &se) {
		return err
	}
	if n, ok := se.SW.TriesLeft(); ok {
		if n == 0 {
			return fmt.Errorf("%w: card %s rejected the key and is now locked (%s): "+
				"the configured master key does not match this card", ErrKeyLocked, serial, se.SW)
		}
		return fmt.Errorf("%w: card %s rejected the key (%s), %d tries left before the card locks: "+
			"check keys.source and the key card or key file", ErrAuthFailed, serial, se.SW, n)
	}
	if se.SW == apdu.SWKeyBlocked {
		return fmt.Errorf("%w: card %s key is blocked (%s) after too many wrong keys: "+
			"the card cannot be written again", ErrKeyLocked, serial, se.SW)
	}
	return err
}

func (s *session) readCardInfo(ctx context.Context) (Serial, int, error) {
	var serial Serial
	var version int
	err := s.tryStep(ctx, false, func(ctx context.Context) error {
		b, err := s.readFile(ctx, FIDCardInfo, CardInfoSize)
		if err != nil {
			return err
		}
		serial, version, err = DecodeCardInfo(b)
		return err
	})
	return serial, version, err
}

// readFile reads up to size bytes of fid. The first TLV object's header
// gives the length to read, so unused space is not read. The first READ
// BINARY addresses the EF by SFI, which also selects it.
func (s *session) readFile(ctx context.Context, fid uint16, size int) ([]byte, error) {
	b, err := s.readFrom(ctx, fid, 0, min(s.enc.opts.MaxAPDU, size))
	if err != nil {
		return nil, err
	}
	total := tlvExtent(b, size)
	if total <= len(b) {
		return b, nil
	}
	rest, err := s.x.ReadBinaryAll(ctx, len(b), total-len(b), s.enc.opts.MaxAPDU)
	return append(b, rest...), err
}

// readFrom reads n bytes at offset of fid, addressing it by SFI in the
// first command when the offset allows.
func (s *session) readFrom(ctx context.Context, fid uint16, offset, n int) ([]byte, error) {
	spec, _ := Spec(fid)
	if offset > 0xFF || spec.SFI == 0 || s.enc.opts.Extended {
		if err := s.selectEF(ctx, fid); err != nil {
			return nil, err
		}
		return s.x.ReadBinaryAll(ctx, offset, n, s.enc.opts.MaxAPDU)
	}
	first := min(n, s.enc.opts.MaxAPDU)
	c := apdu.ReadBinarySFI(spec.SFI, offset, first)
	b, err := s.x.Run(ctx, c)
	if err != nil {
		return b, err
	}
	if len(b) < first || len(b) == n {
		return b, nil
	}
	rest, err := s.x.ReadBinaryAll(ctx, offset+len(b), n-len(b), s.enc.opts.MaxAPDU)
	return append(b, rest...), err
}

// tlvExtent returns how many bytes from the start of b cover the first
// TLV object, or len(b) for padding, capped at size.
func tlvExtent(b []byte, size int) int {
	if len(b) == 0 || b[0] == 0x00 || b[0] == 0xFF {
		return len(b)
	}
	i := 1
	if b[0]&0x1F == 0x1F {
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return size
	}
	n, hdr := int(b[i]), 1
	if b[i] > 0x80 && b[i] <= 0x83 {
		hdr = 1 + int(b[i]&0x7F)
		if i+hdr > len(b) {
			return size
		}
		n = 0
		for _, c := range b[i+1 : i+hdr] {
			n = n<<8 | int(c)
		}
	}
	return min(i+hdr+n, size)
}

// writeFile writes data at offset of fid, addressing it by SFI in the
// first command when the offset allows.
func (s *session) writeFile(ctx context.Context, fid uint16, offset int, data []byte) error {
	spec, _ := Spec(fid)
	if offset > 0xFF || spec.SFI == 0 || s.enc.opts.Extended || len(data) == 0 {
		if err := s.selectEF(ctx, fid); err != nil {
			return err
		}
		return s.x.UpdateBinaryAll(ctx, offset, data, s.enc.opts.MaxAPDU)
	}
	n := min(len(data), s.enc.opts.MaxAPDU)
	if _, err := s.x.Run(ctx, apdu.UpdateBinarySFI(spec.SFI, offset, data[:n])); err != nil {
		return fmt.Errorf("at offset %d: %w", offset, err)
	}
	return s.x.UpdateBinaryAll(ctx, offset+n, data[n:], s.enc.opts.MaxAPDU)
}

func (s *session) readRecords(ctx context.Context) ([][]byte, error) {
	if err := s.selectEF(ctx, FIDHistory); err != nil {
		return nil, err
	}
	var out [][]byte
	for rec := 1; rec <= HistoryRecords; rec++ {
		r, err := s.x.Exchange(ctx, apdu.ReadRecord(byte(rec), HistoryRecordSize))
		if err != nil {
			return out, err
		}
		if r.SW == apdu.SWRecordNotFound {
			break
		}
		if err := r.Err(apdu.ReadRecord(byte(rec), HistoryRecordSize)); err != nil {
			return out, err
		}
		out = append(out, r.Data)
	}
	return out, nil
}

func (s *session) appendRecord(ctx context.Context, rec []byte) error {
	if err := s.selectEF(ctx, FIDHistory); err != nil {
		return err
	}
	_, err := s.x.Run(ctx, apdu.AppendRecord(rec))
	return err
}
