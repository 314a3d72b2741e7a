package issuance

import (
	"context"
	"errors"
	"strings"
	"testing"

	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

func TestEmulatorsCardLeftInReader(t *testing.T) {
	e := startEmulated(t, 0, 30)
	e.encoder.Probe = simcard.Direct{E: e.cards}
	h := openHarness(t, t.TempDir(), nil, true)
	w := h.emulatedWorker(e)
	ctx := context.Background()
	first := issueOne(t, h, "A1")
	serial, err := permitcard.ParseSerial(first.Card.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cards.Insert(serial); err != nil {
		t.Fatalf("present the issued card again: %v", err)
	}
	j := h.enqueue("A2")
	_, err = w.RunJob(ctx, j.ID, "clerk1")
	if !errors.Is(err, ErrStationOccupied) {
		t.Fatalf("err = %v, want ErrStationOccupied", err)
	}
	if !strings.Contains(err.Error(), "serial "+first.Card.Serial) {
		t.Errorf("error %q does not name the card's serial %s", err, first.Card.Serial)
	}
	if n := cardsTaken(t, h); n != 1 {
		t.Errorf("%d cards taken from stock, want only the first card", n)
	}
}

func TestEmulatorsRibbonOutTakesNoCard(t *testing.T) {
	e := startEmulated(t, 0, 30)
	h := openHarness(t, t.TempDir(), nil, true)
	w := h.emulatedWorker(e)
	ctx := context.Background()
	e.printer.RibbonOutAt(1)
	j := h.enqueue("A1")
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err == nil {
		t.Fatalf("print without ribbon gave no error; job %s", got.State)
	}
	takenBefore := cardsTaken(t, h)
	for attempt := range 2 {
		_, err = w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, "", "")
		if !errors.Is(err, ErrPrinterNotReady) {
			t.Fatalf("retry %d with the ribbon out: err = %v (job %s), want ErrPrinterNotReady",
				attempt, err, h.job(j.ID).State)
		}
		if !strings.Contains(strings.ToLower(err.Error()), "ribbon") {
			t.Errorf("retry %d: error %q does not carry the printer's ribbon message", attempt, err)
		}
	}
	if n := cardsTaken(t, h); n != takenBefore {
		t.Errorf("retries with the ribbon out took %d more cards, want 0", n-takenBefore)
	}
}
