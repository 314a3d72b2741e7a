package evolis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"permitdesk/devices"
)

// Position is the place of the card in the printer (Rlr;p).
type Position string

// Card positions.
const (
	PositionNone        Position = "none"        // no card in the printer
	PositionPrint       Position = "print"       // at the print head
	PositionContact     Position = "contact"     // at the smart-card contact station
	PositionContactless Position = "contactless" // at the contactless station
)

// ParsePosition reads an Rlr;p reply. "OK" and "NO CARD" mean no card.
// Newer firmware names the position with "CARD", "SMART CARD" or
// "CONTACTLESS CARD". Rev E's "ERR CARD" means a card is in the way.
func ParsePosition(s string) (Position, bool) {
	switch strings.TrimSpace(s) {
	case "OK", "NO CARD":
		return PositionNone, true
	case "CARD", "ERR CARD":
		return PositionPrint, true
	case "SMART CARD":
		return PositionContact, true
	case "CONTACTLESS CARD":
		return PositionContactless, true
	}
	return "", false
}

// Status is a snapshot of the printer for diagnostics.
type Status struct {
	Model    string // Rtp
	Serial   string // Rsn
	Firmware string // Rfv
	Position Position
	// CoverOpen and FeederEmpty come from the cover and feeder sensors
	// (Rse;o and Rse;f, about 0 V when open or empty and 5 V otherwise).
	CoverOpen   bool
	FeederEmpty bool
	// NeedsCleaning is set when Rlr;c reports that a cleaning card is due;
	// the printer still prints.
	NeedsCleaning bool
	// RibbonPanels is the number of panels left on the ribbon (Rco;l).
	RibbonPanels int
	Counters     Counters
}

// Position reads where the card is.
func (p *Printer) Position(ctx context.Context) (Position, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.positionLocked(ctx)
}

func (p *Printer) positionLocked(ctx context.Context) (Position, error) {
	r, err := p.exchangeLocked(ctx, "read card position", p.opts.Timeout, Frame("Rlr", "p"), positionFits)
	if err != nil {
		return "", err
	}
	if r.Kind == ReplyNack || r.Kind == ReplyUnknownCmd {
		code := CodeForNack(r.Text)
		if r.Kind == ReplyUnknownCmd {
			code = CodeUnknownCommand
		}
		return "", p.fail("read card position", code, &PrinterError{Reply: r.Text, Code: code})
	}
	pos, ok := ParsePosition(r.Text)
	if !ok {
		return "", p.fail("read card position", CodeFailed, fmt.Errorf("invalid card position reply %q", r.Text))
	}
	return pos, nil
}

// positionFits reports whether r can be the reply to Rlr;p.
func positionFits(r Reply) bool {
	if isErrorReply(r) {
		return true
	}
	_, ok := ParsePosition(r.Text)
	return ok
}

// Status reads identity, card position, cover and feeder sensors and the
// counters.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st Status
	for _, f := range []struct {
		dst *string
		cmd string
		op  string
	}{{&st.Model, "Rtp", "read model"}, {&st.Serial, "Rsn", "read serial number"}, {&st.Firmware, "Rfv", "read firmware version"}} {
		v, err := p.readLocked(ctx, f.op, f.cmd)
		if err != nil {
			return st, err
		}
		*f.dst = v
	}
	var err error
	if st.Position, err = p.positionLocked(ctx); err != nil {
		return st, err
	}
	if st.CoverOpen, err = p.sensorLowLocked(ctx, "o"); err != nil {
		return st, err
	}
	if st.FeederEmpty, err = p.sensorLowLocked(ctx, "f"); err != nil {
		return st, err
	}
	if st.NeedsCleaning, err = p.needsCleaningLocked(ctx); err != nil {
		return st, err
	}
	if st.RibbonPanels, err = p.readIntLocked(ctx, "read ribbon remaining", "l"); err != nil {
		return st, err
	}
	st.Counters, err = p.countersLocked(ctx)
	return st, err
}

// sensorLowLocked reports whether a sensor reads below 1 V.
func (p *Printer) sensorLowLocked(ctx context.Context, sensor string) (bool, error) {
	s, err := p.readValidLocked(ctx, "read sensor "+sensor, isVolts, "Rse", sensor)
	if err != nil {
		return false, err
	}
	v, err := ParseVolts(s)
	if err != nil {
		return false, p.fail("read sensor "+sensor, CodeFailed, err)
	}
	return v < 1, nil
}

func isVolts(s string) bool {
	_, err := ParseVolts(s)
	return err == nil
}

// Ready checks that the printer can take a job: cover closed and cards in
// the feeder. It returns the typed error an operator must clear.
func (p *Printer) Ready(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	open, err := p.sensorLowLocked(ctx, "o")
	if err != nil {
		return err
	}
	if open {
		return p.fail("check ready", CodeCoverOpen, &PrinterError{Reply: "Rse;o low", Code: CodeCoverOpen})
	}
	empty, err := p.sensorLowLocked(ctx, "f")
	if err != nil {
		return err
	}
	if empty {
		return p.fail("check ready", CodeFeederEmpty, &PrinterError{Reply: "Rse;f low", Code: CodeFeederEmpty})
	}
	return nil
}

// IsCode reports whether err is a printer error with code.
func IsCode(err error, code devices.Code) bool {
	var de *devices.Error
	return errors.As(err, &de) && de.Code == code
}

func (p *Printer) needsCleaningLocked(ctx context.Context) (bool, error) {
	_, err := p.readLocked(ctx, "read cleaning state", "Rlr", "c")
	if IsCode(err, CodeCleaning) {
		return true, nil
	}
	return false, err
}
