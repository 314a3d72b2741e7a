package issuance

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"permitdesk/app/cardface"
	"permitdesk/app/permit"
	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/evolis"
	"permitdesk/devices/permitcard"
)

// EvolisPath adapts an Evolis-style printer (package evolis) to CardPath.
// It keeps the driver's job record of the card in the printer. After a
// restart that record is gone, so it builds one from the printer's counters
// (evolis.Printer.RecoverCard) to move the card left inside.
type EvolisPath struct {
	Printer *evolis.Printer

	mu        sync.Mutex
	job       *evolis.Job
	recovered bool // job was rebuilt by RecoverCard
}

// FeedToContactless moves a blank card to the contactless station.
func (a *EvolisPath) FeedToContactless(ctx context.Context) error {
	job, err := a.Printer.FeedToContactless(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if job != nil {
		a.job, a.recovered = job, false
	}
	return err
}

// current returns the job of the card inside, recovering one if needed.
func (a *EvolisPath) current(ctx context.Context) (*evolis.Job, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.job != nil {
		return a.job, nil
	}
	pos, err := a.Printer.Position(ctx)
	if err != nil {
		return nil, err
	}
	if pos == evolis.PositionNone {
		return nil, fmt.Errorf("printer: %w", devices.ErrNoCard)
	}
	job, err := a.Printer.RecoverCard(ctx)
	if err != nil {
		return nil, err
	}
	a.job, a.recovered = job, true
	return job, nil
}

// PrintFaces packs both faces into K panels and prints them.
func (a *EvolisPath) PrintFaces(ctx context.Context, front, back image.Image) error {
	f, err := packFace(front)
	if err != nil {
		return fmt.Errorf("front face: %w", err)
	}
	b, err := packFace(back)
	if err != nil {
		return fmt.Errorf("back face: %w", err)
	}
	job, err := a.current(ctx)
	if err != nil {
		return err
	}
	return a.Printer.PrintFaces(ctx, job, f, b)
}

func packFace(img image.Image) (evolis.Face, error) {
	if img == nil {
		return nil, nil
	}
	return evolis.PackPanel(img)
}

// Eject sends the card to the output hopper. The workflow ejects only a
// card whose print it confirmed, by the printer's reply or by the counter,
// so a job the driver still holds as unconfirmed is settled first, and a
// job rebuilt after a restart is marked printed.
func (a *EvolisPath) Eject(ctx context.Context) error {
	return a.leave(ctx, func(ctx context.Context, job *evolis.Job) error {
		if job.State == evolis.JobUnconfirmed {
			if _, err := a.Printer.Settle(ctx, job); err != nil {
				return err
			}
		}
		if a.recovered {
			job.State = evolis.JobPrinted
		}
		return a.Printer.Eject(ctx, job)
	})
}

// EjectToReject sends the card to the reject box, settling an unconfirmed
// print first as the driver requires.
func (a *EvolisPath) EjectToReject(ctx context.Context) error {
	return a.leave(ctx, func(ctx context.Context, job *evolis.Job) error {
		if job.State == evolis.JobUnconfirmed {
			if _, err := a.Printer.Settle(ctx, job); err != nil {
				return err
			}
		}
		return a.Printer.EjectToReject(ctx, job)
	})
}

func (a *EvolisPath) leave(ctx context.Context, move func(context.Context, *evolis.Job) error) error {
	job, err := a.current(ctx)
	if err != nil {
		return err
	}
	if err := move(ctx, job); err != nil {
		return err
	}
	a.mu.Lock()
	a.job, a.recovered = nil, false
	a.mu.Unlock()
	return nil
}

// Status reads the card position and the printed-panel counter.
func (a *EvolisPath) Status(ctx context.Context) (PrinterStatus, error) {
	pos, err := a.Printer.Position(ctx)
	if err != nil {
		return PrinterStatus{}, err
	}
	c, err := a.Printer.Counters(ctx)
	if err != nil {
		return PrinterStatus{}, err
	}
	st := PrinterStatus{Position: PositionUnknown, PrintCounter: int64(c.Panels)}
	switch pos {
	case evolis.PositionNone:
		st.Position = PositionNone
	case evolis.PositionContactless:
		st.Position = PositionContactless
	case evolis.PositionPrint:
		st.Position = PositionPrint
	}
	return st, nil
}

// Ready checks that the printer can take a card: cover closed and cards in
// the feeder (evolis.Printer.Ready), the ribbon not at its end (Rcr), and
// no card left inside.
//
// NOTE: the emulator (devices/sim/evolis) reports a jam only to a command
// that moves a card, so a jam left uncleared is found by the feed, not here.
func (a *EvolisPath) Ready(ctx context.Context) error {
	if err := a.Printer.Ready(ctx); err != nil {
		return err
	}
	if _, err := a.Printer.Command(ctx, "Rcr"); err != nil {
		return err
	}
	pos, err := a.Printer.Position(ctx)
	if err != nil {
		return err
	}
	if pos != evolis.PositionNone {
		return fmt.Errorf("%w at the %s position", ErrCardInPrinter, pos)
	}
	return nil
}

// PermitCardEncoder adapts the permit card encoding service (package
// permitcard) to Encoder.
type PermitCardEncoder struct {
	Encoder *permitcard.Encoder
	// Probe is the encoder's reader, opened without a waiting notice, for
	// CardAtStation; nil means CardAtStation always reports no card.
	Probe apdu.CardReader
}

// probeWait is how long CardAtStation waits for the reader to report a
// card. A card already in the reader is reported at once (PC/SC returns the
// current state on the first status call), so the wait only delays the
// answer "no card".
const probeWait = 50 * time.Millisecond

// probeReadWait bounds the read of a card that the probe found. A card that
// stays listed but returns nothing within it has left the field. A permit
// card completes these few short reads in about 0.2 s at 106 kbit/s (an
// estimate from the air-time model in devices/sim/card).
const probeReadWait = time.Second

// CardAtStation reports whether a card is already in the encoder's reader,
// with its serial when the chip can be read.
func (a PermitCardEncoder) CardAtStation(ctx context.Context) (string, bool, error) {
	if a.Probe == nil {
		return "", false, nil
	}
	wctx, cancel := context.WithTimeout(ctx, probeWait)
	card, err := a.Probe.ConnectCard(wctx)
	cancel()
	switch {
	case err != nil && ctx.Err() == nil && (errors.Is(err, devices.ErrTimeout) || errors.Is(err, devices.ErrNoCard)):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	card.Close()
	rctx, cancel := context.WithTimeout(ctx, probeReadWait)
	c, err := a.Encoder.Read(rctx, permitcard.ReadOptions{SkipPhoto: true})
	cancel()
	switch {
	case err != nil && ctx.Err() == nil && (errors.Is(err, devices.ErrCardRemoved) ||
		errors.Is(err, devices.ErrNoCard) || errors.Is(err, devices.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)):
		// pcscd lists a card that has just left the field for a moment, so
		// one that is gone by the time it is read is not in the reader.
		return "", false, nil
	case err != nil:
		return "", true, nil
	}
	return c.Serial.String(), true, nil
}

// Personalise writes p with the central system's seal to the card at the
// station.
func (a PermitCardEncoder) Personalise(ctx context.Context, p permit.Permit, seal permitcard.Seal) (string, error) {
	d := CardData(p)
	d.Seal = seal
	serial, err := a.Encoder.Personalise(ctx, d)
	if err != nil {
		return "", err
	}
	return serial.String(), nil
}

// Read reads the card at the station, portrait included because the seal
// covers it. A blank card, and one whose personalisation was interrupted,
// return ErrBlankCard.
func (a PermitCardEncoder) Read(ctx context.Context) (CardContent, error) {
	c, err := a.Encoder.Read(ctx, permitcard.ReadOptions{})
	if err != nil {
		return CardContent{}, err
	}
	if c.State == permitcard.StateBlank || c.State == permitcard.StateIncomplete {
		return CardContent{Serial: c.Serial.String()}, fmt.Errorf("card %s is %s: %w", c.Serial, c.State,
			ErrBlankCard)
	}
	return CardContent{Serial: c.Serial.String(), Permit: PermitFromCard(c.Data), Seal: c.Data.Seal}, nil
}

// CardData maps a permit to the chip's data. Dates are calendar dates at
// 00:00 UTC and the issue time is cut to whole seconds, as the chip stores
// them.
func CardData(p permit.Permit) permitcard.CardData {
	return permitcard.CardData{
		Holder: permitcard.Holder{Name: p.Holder.Name, Sex: string(p.Holder.Sex), Ethnicity: p.Holder.Ethnicity,
			BirthDate: day(p.Holder.BirthDate), IDNumber: p.Holder.IDNumber, HukouAddress: p.Holder.HukouAddress},
		Permit: permitcard.Permit{Number: p.Number, Authority: p.Authority,
			IssuedAt: p.IssuedAt.UTC().Truncate(time.Second), ValidFrom: day(p.ValidFrom), ValidTo: day(p.ValidTo),
			StationID: p.StationID},
		Address: permitcard.Address{HouseCode: p.Address.HouseCode, District: p.Address.District,
			Street: p.Address.Street, Community: p.Address.Community, Detail: p.Address.Detail},
		Photo: p.Photo,
	}
}

// PermitFromCard maps chip data back to a permit.
func PermitFromCard(d permitcard.CardData) permit.Permit {
	return permit.Permit{
		Number: d.Permit.Number, Authority: d.Permit.Authority, IssuedAt: d.Permit.IssuedAt,
		ValidFrom: d.Permit.ValidFrom, ValidTo: d.Permit.ValidTo, StationID: d.Permit.StationID, Photo: d.Photo,
		Holder: permit.Holder{Name: d.Holder.Name, Sex: permit.Sex(d.Holder.Sex), Ethnicity: d.Holder.Ethnicity,
			BirthDate: d.Holder.BirthDate, IDNumber: d.Holder.IDNumber, HukouAddress: d.Holder.HukouAddress},
		Address: permit.Address{HouseCode: d.Address.HouseCode, District: d.Address.District,
			Street: d.Address.Street, Community: d.Address.Community, Detail: d.Address.Detail},
	}
}

func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CardFaces adapts the card-face renderer (package cardface) to
// FaceRenderer.
type CardFaces struct {
	Renderer *cardface.Renderer
}

// RenderFaces draws the front and back of p.
func (f CardFaces) RenderFaces(ctx context.Context, p permit.Permit) (image.Image, image.Image, error) {
	front, err := f.Renderer.Render(p, cardface.Front)
	if err != nil {
		return nil, nil, err
	}
	back, err := f.Renderer.Render(p, cardface.Back)
	if err != nil {
		return nil, nil, err
	}
	return front, back, nil
}
