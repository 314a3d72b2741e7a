package issuance

import (
	"context"
	"errors"
	"fmt"
)

// ReadyChecker is implemented by a CardPath that can tell whether the
// printer can take a card now. Ready returns the printer's message for the
// first fault an operator must clear (cover, feeder, ribbon, a card left
// inside), or nil.
type ReadyChecker interface {
	Ready(ctx context.Context) error
}

// ErrPrinterNotReady is returned, wrapped with the printer's message, when
// a job stops before taking a card because the printer reported a fault.
var ErrPrinterNotReady = errors.New("printer not ready")

// ErrCardInPrinter is returned by a ReadyChecker, wrapped with the card's
// position, when a card is left inside the printer.
var ErrCardInPrinter = errors.New("a card is inside the printer")

// ErrStationOccupied is returned, wrapped, when a card is already in the
// encoder's reader before a blank is fed.
var ErrStationOccupied = errors.New("a card is in the encoder reader")

// preflight checks the printer and the encoder's reader before a card is
// taken from stock, so that a fault that would spoil the card stops the
// job with no card used. Each check runs with the step timeout.
func (w *Worker) preflight(ctx context.Context) error {
	if rc, ok := w.opt.CardPath.(ReadyChecker); ok {
		err := w.call(ctx, "ready", rc.Ready)
		if errors.Is(err, ErrCardInPrinter) {
			return fmt.Errorf("%w: %w: %s", ErrPrinterNotReady, err, w.cardInPrinterFix(ctx))
		}
		if err != nil {
			return fmt.Errorf("%w: %w; fix the printer, then issue again", ErrPrinterNotReady, err)
		}
	}
	return w.checkStationEmpty(ctx)
}

// cardInPrinterFix returns what the operator does about a card left inside
// the printer. It takes the card to be that of the newest job on this
// printer that needs attention after stopping at the printer, if any.
func (w *Worker) cardInPrinterFix(ctx context.Context) string {
	const generic = "resolve its job (see permitdesk queue list --state needs_attention), or take the card out"
	jobs, err := w.svc.List(ctx, ListOptions{States: []State{NeedsAttention}})
	if err != nil {
		w.log.Warn("list of jobs that need attention failed", "err", err)
		return generic
	}
	for _, j := range jobs {
		if j.Printer == w.opt.Printer && j.AttentionFrom.AtPrinter() {
			return fmt.Sprintf("it is probably the card of job %d, so verify it and continue with "+
				"`permitdesk queue retry %d --continue`, or take the card out", j.ID, j.ID)
		}
	}
	return generic
}

// StationProber is implemented by an Encoder that can tell quickly whether
// a card is already in its reader. CardAtStation returns the card's serial
// when it could be read, or "" when it could not.
type StationProber interface {
	CardAtStation(ctx context.Context) (serial string, present bool, err error)
}

// checkStationEmpty queries the encoder for a card in its reader. On the
// emulated station the desk reader is the encoder's reader, so a card left
// there after a read would otherwise receive the new chip data and be
// spoiled together with the blank fed for it.
func (w *Worker) checkStationEmpty(ctx context.Context) error {
	prober, ok := w.opt.Encoder.(StationProber)
	if !ok {
		return nil
	}
	var serial string
	var present bool
	err := w.call(ctx, "check encoder reader", func(ctx context.Context) error {
		var err error
		serial, present, err = prober.CardAtStation(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("check the encoder reader for a card left in it: %w; check the reader, "+
			"then issue again", err)
	}
	if present {
		return fmt.Errorf("%w (serial %s): take it out, then issue again", ErrStationOccupied, orUnknown(serial))
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
