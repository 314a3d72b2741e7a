package permitcard

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
)

// Options configure New.
type Options struct {
	// Reader connects to cards (the PC/SC driver, or the emulator's Direct
	// reader in tests). Required.
	Reader apdu.CardReader
	// Keys computes the EXTERNAL AUTHENTICATE cryptogram. Required for
	// Personalise and UpdateAddress, not for Read.
	Keys keys.Provider
	// MaxAPDU is the largest data field per short APDU; default 239.
	MaxAPDU int
	// Extended sends each file in one extended-length APDU.
	Extended bool
	// RepresentWait is the maximum time a step waits for the same card to
	// return after it left the reader or pcscd restarted. Default 10s. A
	// negative value fails at once with devices.ErrCardRemoved.
	RepresentWait time.Duration
	// Logger receives steps, recoveries and failures; default discards.
	Logger *slog.Logger
}

// Encoder personalises, reads and updates permit cards. One goroutine may
// use it at a time.
type Encoder struct {
	opts Options
	log  *slog.Logger
	hook func(step string) // called after each step; tests only
	last apdu.Counter
}

// New returns an Encoder.
func New(opts Options) (*Encoder, error) {
	if opts.Reader == nil {
		return nil, fmt.Errorf("%w: permit card encoder needs a reader", devices.ErrNotConfigured)
	}
	if opts.MaxAPDU <= 0 {
		opts.MaxAPDU = 239
	}
	if opts.MaxAPDU > apdu.MaxShortLc {
		return nil, fmt.Errorf("max_apdu %d is larger than a short APDU's %d bytes: lower it, "+
			"or set extended for extended-length APDUs", opts.MaxAPDU, apdu.MaxShortLc)
	}
	if opts.RepresentWait == 0 {
		opts.RepresentWait = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Encoder{opts: opts, log: opts.Logger.With("component", "permitcard", "reader", opts.Reader.Name()),
		hook: func(string) {}}, nil
}

// Traffic returns the APDUs and bytes of the last operation.
func (e *Encoder) Traffic() apdu.Counter { return e.last }

// files is the encoded content of a card.
type files struct {
	holder, permit, seal, photo, address []byte
}

func encodeAll(d CardData) (files, error) {
	var f files
	var err error
	if f.holder, err = EncodeHolder(d.Holder); err != nil {
		return f, err
	}
	if f.permit, err = EncodePermit(d.Permit); err != nil {
		return f, err
	}
	if f.seal, err = EncodeSeal(d.Seal); err != nil {
		return f, err
	}
	if f.photo, err = EncodePhoto(d.Photo); err != nil {
		return f, err
	}
	if f.address, err = EncodeAddressFile(d.Address); err != nil {
		return f, err
	}
	for _, c := range []struct {
		name string
		b    []byte
		size int
	}{{"holder", f.holder, HolderSize}, {"permit", f.permit, PermitSize}, {"seal", f.seal, SealSize}} {
		if len(c.b) > c.size {
			return f, fmt.Errorf("%w: %s data is %d bytes, EF holds %d: shorten the text fields",
				ErrBadContent, c.name, len(c.b), c.size)
		}
	}
	return f, nil
}

// padded returns f with every transparent file padded to its size, which
// clears what an interrupted earlier personalisation left behind.
func (f files) padded() files {
	return files{holder: pad(f.holder, HolderSize), permit: pad(f.permit, PermitSize),
		seal: pad(f.seal, SealSize), photo: f.photo, address: pad(f.address, AddressSize-MarkerSize)}
}

// Personalise writes d to the blank card in the reader and returns its
// serial. Order: holder, permit, photo, seal, address, a read-back
// comparison of all of them, and only then the commit marker, so a card
// interrupted at any point reads as incomplete. An incomplete card may be
// personalised again. It never continues on a card other than the one it
// started with (devices.ErrWrongCard).
func (e *Encoder) Personalise(ctx context.Context, d CardData) (Serial, error) {
	f, err := encodeAll(d)
	if err != nil {
		return Serial{}, err
	}
	s, err := e.open(ctx)
	if err != nil {
		return Serial{}, err
	}
	defer e.finish(s)
	log := e.log.With("serial", s.serial.String())
	addressTLV := f.address
	st, err := e.requireBlank(ctx, s)
	if err != nil {
		return s.serial, err
	}
	if st != StateBlank {
		// A blank card is all zeros, so only the TLV bytes need writing;
		// an incomplete card gets whole files. The photo's tail is never
		// read, because readers stop at its TLV length.
		f = f.padded()
	}
	log.Info("personalising card")
	if err := e.writeAll(ctx, s, f); err != nil {
		return s.serial, err
	}
	if err := e.verifyAll(ctx, s, f); err != nil {
		return s.serial, err
	}
	if err := e.commit(ctx, s, 1, addressTLV); err != nil {
		return s.serial, err
	}
	log.Info("card personalised", "apdus", s.traffic().APDUs)
	return s.serial, nil
}

func (e *Encoder) finish(s *session) {
	e.last = s.traffic()
	s.close()
}

func (e *Encoder) requireBlank(ctx context.Context, s *session) (State, error) {
	var st State
	err := s.step(ctx, "check blank", false, func(ctx context.Context) error {
		var err error
		st, err = s.readState(ctx)
		return err
	})
	if err != nil {
		return st, err
	}
	if st == StateAddressTorn {
		// A torn marker with an empty history is a personalisation torn
		// while writing its first marker.
		if recs, err := s.readRecords(ctx); err == nil && len(recs) == 0 {
			st = StateIncomplete
		}
	}
	if st != StateBlank && st != StateIncomplete {
		return st, fmt.Errorf("%w: card %s is %s: use a blank card, or void this one first", ErrNotBlank, s.serial, st)
	}
	return st, nil
}

// readState reads the marker and the start of EF.HOLDER.
func (s *session) readState(ctx context.Context) (State, error) {
	addr, err := s.readFile(ctx, FIDAddress, AddressSize)
	if err != nil {
		return "", err
	}
	m, _, _, derr := decodeAddressFile(pad(addr, AddressSize))
	if m.present {
		if m.valid && derr == nil {
			return StatePersonalised, nil
		}
		return StateAddressTorn, nil
	}
	head, err := s.readFrom(ctx, FIDHolder, 0, 1)
	if err != nil {
		return "", err
	}
	if len(head) == 1 && head[0] == 0 && allZero(addr) {
		return StateBlank, nil
	}
	return StateIncomplete, nil
}

func (e *Encoder) writeAll(ctx context.Context, s *session, f files) error {
	for _, w := range []struct {
		name   string
		fid    uint16
		offset int
		data   []byte
	}{
		{"write holder", FIDHolder, 0, f.holder},
		{"write permit", FIDPermit, 0, f.permit},
		{"write photo", FIDPhoto, 0, f.photo},
		{"write seal", FIDSeal, 0, f.seal},
		{"write address", FIDAddress, MarkerSize, f.address},
	} {
		err := s.step(ctx, w.name, true, func(ctx context.Context) error {
			return s.writeFile(ctx, w.fid, w.offset, w.data)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Encoder) verifyAll(ctx context.Context, s *session, f files) error {
	for _, v := range []struct {
		name string
		fid  uint16
		want []byte
	}{
		{"holder", FIDHolder, f.holder}, {"permit", FIDPermit, f.permit},
		{"photo", FIDPhoto, f.photo}, {"seal", FIDSeal, f.seal},
	} {
		if err := e.verifyFile(ctx, s, v.name, v.fid, 0, v.want); err != nil {
			return err
		}
	}
	return e.verifyFile(ctx, s, "address", FIDAddress, MarkerSize, f.address)
}

// verifyFile reads len(want) bytes at offset and compares them.
func (e *Encoder) verifyFile(ctx context.Context, s *session, name string, fid uint16, offset int, want []byte) error {
	return s.step(ctx, "verify "+name, false, func(ctx context.Context) error {
		got, err := s.readFrom(ctx, fid, offset, len(want))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%w: EF %04X (%s) on card %s: %s", ErrVerify, fid, name, s.serial, firstDiff(got, want))
		}
		return nil
	})
}

func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d", i)
		}
	}
	return fmt.Sprintf("read %d bytes, wrote %d", len(got), len(want))
}

// commit writes the marker for address and reads it back.
func (e *Encoder) commit(ctx context.Context, s *session, seq uint16, address []byte) error {
	marker := EncodeMarker(seq, address)
	err := s.step(ctx, "write commit marker", true, func(ctx context.Context) error {
		return s.writeFile(ctx, FIDAddress, 0, marker)
	})
	if err != nil {
		return err
	}
	return e.verifyFile(ctx, s, "commit marker", FIDAddress, 0, marker)
}
