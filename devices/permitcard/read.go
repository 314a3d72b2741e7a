package permitcard

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"permitdesk/devices"
)

// ReadOptions select what Read decodes.
type ReadOptions struct {
	// SkipPhoto leaves Data.Photo empty and saves reading up to 16 KB.
	SkipPhoto bool
}

// Read decodes the card in the reader. A blank card returns its serial
// and StateBlank with empty data; undecodable content is an error wrapping
// ErrBadContent.
func (e *Encoder) Read(ctx context.Context, opts ReadOptions) (Card, error) {
	s, err := e.open(ctx)
	if err != nil {
		return Card{}, err
	}
	defer e.finish(s)
	c := Card{Serial: s.serial, ATR: strings.ToUpper(hex.EncodeToString(s.card.ATR()))}
	err = s.step(ctx, "read card", false, func(ctx context.Context) error {
		var err error
		c, err = s.readAll(ctx, c, opts)
		return err
	})
	return c, err
}

func (s *session) readAll(ctx context.Context, c Card, opts ReadOptions) (Card, error) {
	info, err := s.readFile(ctx, FIDCardInfo, CardInfoSize)
	if err != nil {
		return c, err
	}
	if _, c.LayoutVersion, err = DecodeCardInfo(info); err != nil {
		return c, err
	}
	if c.State, err = s.readState(ctx); err != nil {
		return c, err
	}
	if c.State == StateBlank {
		return c, nil
	}
	if err := s.readData(ctx, &c, opts); err != nil {
		return c, err
	}
	return c, s.readHistory(ctx, &c)
}

func (s *session) readData(ctx context.Context, c *Card, opts ReadOptions) error {
	raw := map[uint16][]byte{}
	for _, f := range []struct {
		fid  uint16
		size int
	}{{FIDHolder, HolderSize}, {FIDPermit, PermitSize}, {FIDSeal, SealSize}} {
		b, err := s.readFile(ctx, f.fid, f.size)
		if err != nil {
			return err
		}
		raw[f.fid] = b
	}
	var err error
	if c.Data.Holder, err = DecodeHolder(raw[FIDHolder]); err != nil {
		return err
	}
	if c.Data.Permit, err = DecodePermit(raw[FIDPermit]); err != nil {
		return err
	}
	if c.Data.Seal, err = DecodeSeal(raw[FIDSeal]); err != nil {
		return err
	}
	addr, err := s.readFile(ctx, FIDAddress, AddressSize)
	if err != nil {
		return err
	}
	m, a, _, err := decodeAddressFile(pad(addr, AddressSize))
	if err != nil {
		return err
	}
	c.Data.Address, c.Sequence = a, m.seq
	if opts.SkipPhoto {
		return nil
	}
	photo, err := s.readFile(ctx, FIDPhoto, PhotoSize)
	if err != nil {
		return err
	}
	c.Data.Photo, err = DecodePhoto(photo)
	return err
}

func (s *session) readHistory(ctx context.Context, c *Card) error {
	recs, err := s.readRecords(ctx)
	if err != nil {
		return err
	}
	c.History = []HistoryEntry{}
	for i, r := range recs {
		h, ok, err := DecodeHistory(r)
		if err != nil {
			return fmt.Errorf("history record %d: %w", i+1, err)
		}
		if ok {
			c.History = append(c.History, h)
		}
	}
	return nil
}

// UpdateAddress replaces the card's address: it appends the current
// address to the history, writes the new address, then writes the commit
// marker with the next sequence number. Each step is safe to repeat: a run
// interrupted after the history append is finished by calling it again
// (the append is skipped when history record 1 already holds the current
// sequence), and a torn address (StateAddressTorn) is rewritten. When
// serial is not zero, a different card fails with devices.ErrWrongCard.
func (e *Encoder) UpdateAddress(ctx context.Context, serial Serial, a Address, changedOn time.Time) (uint16, error) {
	body, err := EncodeAddressFile(a)
	if err != nil {
		return 0, err
	}
	s, err := e.open(ctx)
	if err != nil {
		return 0, err
	}
	defer e.finish(s)
	if serial != (Serial{}) && serial != s.serial {
		return 0, fmt.Errorf("%w: card %s is in the reader, the address change is for card %s",
			devices.ErrWrongCard, s.serial, serial)
	}
	seq, err := e.appendHistory(ctx, s, changedOn)
	if err != nil {
		return 0, err
	}
	err = s.step(ctx, "write address", true, func(ctx context.Context) error {
		return s.writeFile(ctx, FIDAddress, MarkerSize, pad(body, AddressSize-MarkerSize))
	})
	if err != nil {
		return 0, err
	}
	if err := e.verifyFile(ctx, s, "address", FIDAddress, MarkerSize, body); err != nil {
		return 0, err
	}
	if err := e.commit(ctx, s, seq+1, body); err != nil {
		return 0, err
	}
	e.log.Info("card address updated", "serial", s.serial.String(), "sequence", seq+1)
	return seq + 1, nil
}

// appendHistory moves the committed address into the history unless an
// earlier interrupted run already did, and returns the current sequence.
func (e *Encoder) appendHistory(ctx context.Context, s *session, changedOn time.Time) (uint16, error) {
	var seq uint16
	err := s.step(ctx, "append history", true, func(ctx context.Context) error {
		addr, err := s.readFile(ctx, FIDAddress, AddressSize)
		if err != nil {
			return err
		}
		m, old, _, _ := decodeAddressFile(pad(addr, AddressSize))
		if !m.present {
			return fmt.Errorf("%w: card %s was never committed: personalise it first", ErrBadContent, s.serial)
		}
		seq = m.seq
		recs, err := s.readRecords(ctx)
		if err != nil {
			return err
		}
		var last HistoryEntry
		appended := false
		if len(recs) > 0 {
			last, appended, _ = DecodeHistory(recs[0])
		}
		if !m.valid {
			// Tearing happens only after the history append, so history
			// record 1 contains the last committed sequence. A torn
			// marker's own sequence cannot be trusted.
			if !appended {
				return fmt.Errorf("%w: card %s address is torn and its history is empty: "+
					"the card cannot be repaired", ErrBadContent, s.serial)
			}
			seq = last.Sequence
			return nil
		}
		if appended && last.Sequence == seq {
			return nil // appended by an interrupted earlier run
		}
		rec, err := EncodeHistory(HistoryEntry{Sequence: seq, ChangedOn: changedOn.UTC(), Address: old})
		if err != nil {
			return err
		}
		return s.appendRecord(ctx, rec)
	})
	return seq, err
}
