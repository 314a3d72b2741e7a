package rewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/permitcard"
)

// chipImage is the raw address commit of a card: EF.ADDRESS split into
// marker and body, and the newest EF.HISTORY record.
type chipImage struct {
	serial  permitcard.Serial
	marker  []byte
	body    []byte
	newest  permitcard.HistoryEntry
	hasHist bool
}

// rawChip reads and repairs the address commit with plain APDUs.
// permitcard.Encoder.UpdateAddress finishes a change whose marker still
// carries the old sequence. It cannot finish a change whose marker write was
// torn, because that marker carries the new sequence with a digest of no
// address, nor one whose address body no longer decodes. It also has no way
// back to the old address. rawChip covers those cases with the layout's
// exported constants and codecs.
type rawChip struct {
	reader   apdu.CardReader
	keys     keys.Provider
	maxAPDU  int
	extended bool
}

// session connects to the card, starts a transaction, selects the permit
// application and reads the serial. The returned function ends it all.
func (r *rawChip) session(ctx context.Context) (*apdu.Exchanger, permitcard.Serial, func(), error) {
	card, err := r.reader.ConnectCard(ctx)
	if err != nil {
		return nil, permitcard.Serial{}, nil, err
	}
	if err := card.Begin(ctx); err != nil {
		card.Close()
		return nil, permitcard.Serial{}, nil, err
	}
	done := func() {
		_ = card.End()
		_ = card.Close()
	}
	x := apdu.NewExchanger(card, apdu.ExchangeOptions{Extended: r.extended})
	serial, err := r.selectAndIdentify(ctx, x)
	if err != nil {
		done()
		return nil, serial, nil, err
	}
	return x, serial, done, nil
}

func (r *rawChip) selectAndIdentify(ctx context.Context, x *apdu.Exchanger) (permitcard.Serial, error) {
	if _, err := x.Run(ctx, apdu.SelectAID(permitcard.AID, apdu.SelectNoData)); err != nil {
		return permitcard.Serial{}, fmt.Errorf("select permit application: %w", err)
	}
	info, err := r.readFile(ctx, x, permitcard.FIDCardInfo, 0, permitcard.CardInfoSize)
	if err != nil {
		return permitcard.Serial{}, err
	}
	serial, _, err := permitcard.DecodeCardInfo(info)
	return serial, err
}

func (r *rawChip) readFile(ctx context.Context, x *apdu.Exchanger, fid uint16, offset, n int) ([]byte, error) {
	if _, err := x.Run(ctx, apdu.SelectFID(fid, apdu.SelectNoData)); err != nil {
		return nil, fmt.Errorf("select EF %04X: %w", fid, err)
	}
	return x.ReadBinaryAll(ctx, offset, n, r.maxAPDU)
}

// inspect reads the address commit of the card in the reader.
func (r *rawChip) inspect(ctx context.Context) (chipImage, error) {
	x, serial, done, err := r.session(ctx)
	if err != nil {
		return chipImage{serial: serial}, err
	}
	defer done()
	img := chipImage{serial: serial}
	raw, err := r.readFile(ctx, x, permitcard.FIDAddress, 0, permitcard.AddressSize)
	if err != nil {
		return img, err
	}
	img.marker, img.body = raw[:permitcard.MarkerSize], raw[permitcard.MarkerSize:]
	if _, err := x.Run(ctx, apdu.SelectFID(permitcard.FIDHistory, apdu.SelectNoData)); err != nil {
		return img, err
	}
	cmd := apdu.ReadRecord(1, permitcard.HistoryRecordSize)
	rsp, err := x.Exchange(ctx, cmd)
	if err != nil {
		return img, err
	}
	if rsp.SW == apdu.SWRecordNotFound {
		return img, nil
	}
	if err := rsp.Err(cmd); err != nil {
		return img, err
	}
	img.newest, img.hasHist, err = permitcard.DecodeHistory(rsp.Data)
	return img, err
}

// commitBytes returns the EF.ADDRESS body (the address template padded
// with zeros to the end of the file) and the marker that commit a at seq.
func commitBytes(a permitcard.Address, seq uint16) (body, marker []byte, err error) {
	tlv, err := permitcard.EncodeAddressFile(a)
	if err != nil {
		return nil, nil, err
	}
	body = make([]byte, permitcard.AddressSize-permitcard.MarkerSize)
	copy(body, tlv)
	return body, permitcard.EncodeMarker(seq, tlv), nil
}

// holds reports whether img carries a committed at seq.
func (img chipImage) holds(a permitcard.Address, seq uint16) bool {
	body, marker, err := commitBytes(a, seq)
	return err == nil && bytes.Equal(img.marker, marker) && bytes.Equal(img.body, body)
}

// condition compares img with the job's old and new address.
func (img chipImage) condition(j *Job) ChipCondition {
	switch {
	case img.holds(j.NewAddress.chip(), uint16(j.OldSequence+1)):
		return ChipNew
	case img.holds(j.OldAddress.chip(), uint16(j.OldSequence)):
		return ChipOld
	}
	return ChipTorn
}

// commit writes a with seq to the card: body first, then the marker, each
// read back. It authenticates with the card key and refuses a card other
// than want.
func (r *rawChip) commit(ctx context.Context, want permitcard.Serial, a permitcard.Address, seq uint16) error {
	body, marker, err := commitBytes(a, seq)
	if err != nil {
		return err
	}
	x, serial, done, err := r.session(ctx)
	if err != nil {
		return err
	}
	defer done()
	if serial != want {
		return fmt.Errorf("%w: card %s is in the reader, the address change is for card %s: present card %s",
			devices.ErrWrongCard, serial, want, want)
	}
	if err := r.authenticate(ctx, x, serial); err != nil {
		return err
	}
	if err := r.writeVerified(ctx, x, permitcard.MarkerSize, body); err != nil {
		return fmt.Errorf("write address: %w", err)
	}
	if err := r.writeVerified(ctx, x, 0, marker); err != nil {
		return fmt.Errorf("write commit marker: %w", err)
	}
	return nil
}

func (r *rawChip) authenticate(ctx context.Context, x *apdu.Exchanger, serial permitcard.Serial) error {
	if r.keys == nil {
		return fmt.Errorf("%w: no card key source configured: set keys.source", devices.ErrNotConfigured)
	}
	challenge, err := x.Run(ctx, apdu.GetChallenge(keys.ChallengeSize))
	if err != nil {
		return err
	}
	crypt, err := r.keys.Cryptogram(ctx, serial[:], challenge)
	if err != nil {
		return err
	}
	if _, err := x.Run(ctx, apdu.ExternalAuthenticate(permitcard.KeyID, crypt)); err != nil {
		var se *apdu.StatusError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: card %s rejected the key (%s): check keys.source", permitcard.ErrAuthFailed,
				serial, se.SW)
		}
		return err
	}
	return nil
}

func (r *rawChip) writeVerified(ctx context.Context, x *apdu.Exchanger, offset int, data []byte) error {
	if _, err := x.Run(ctx, apdu.SelectFID(permitcard.FIDAddress, apdu.SelectNoData)); err != nil {
		return err
	}
	if err := x.UpdateBinaryAll(ctx, offset, data, r.maxAPDU); err != nil {
		return err
	}
	got, err := x.ReadBinaryAll(ctx, offset, len(data), r.maxAPDU)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("%w: EF.ADDRESS at offset %d", permitcard.ErrVerify, offset)
	}
	return nil
}
