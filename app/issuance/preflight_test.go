package issuance

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// cardsTaken counts card records, one for each card taken from stock.
func cardsTaken(t *testing.T, h *harness) int {
	t.Helper()
	var n int
	if err := h.db.QueryRow(`SELECT count(*) FROM cards`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunStopsForCardInEncoderReader(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	h.m.s.Station = &fakeCard{Serial: "E0999999"}
	j := h.enqueue("A1")
	_, err := h.w.RunJob(ctx, j.ID, "clerk1")
	if !errors.Is(err, ErrStationOccupied) {
		t.Fatalf("err = %v, want ErrStationOccupied", err)
	}
	for _, want := range []string{"serial E0999999", "take it out, then issue again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := cardsTaken(t, h); n != 0 {
		t.Errorf("%d cards taken from stock, want 0", n)
	}
	if n := h.m.calls["feed"]; n != 0 {
		t.Errorf("printer fed %d cards, want 0", n)
	}
	if got := h.job(j.ID); got.State != Queued || got.ClaimedBy != "" {
		t.Errorf("job is %s claimed by %q, want queued and unclaimed", got.State, got.ClaimedBy)
	}

	h.m.s.Station = nil
	if _, err := h.w.RunJob(ctx, j.ID, "clerk1"); err != nil {
		t.Fatalf("run after the card was taken out: %v", err)
	}
	h.checkInvariants(false)
}

func TestRunStopsWhilePrinterNotReady(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	h.m.notReady = errors.New("The ribbon has run out. Replace it.")
	j := h.enqueue("A1")
	for attempt := range 2 {
		_, err := h.w.RunJob(ctx, j.ID, "clerk1")
		if !errors.Is(err, ErrPrinterNotReady) {
			t.Fatalf("attempt %d: err = %v, want ErrPrinterNotReady", attempt, err)
		}
		if !strings.Contains(err.Error(), "ribbon has run out") {
			t.Errorf("attempt %d: error %q does not carry the printer's message", attempt, err)
		}
	}
	if n := cardsTaken(t, h); n != 0 {
		t.Errorf("%d cards taken from stock while the printer was not ready, want 0", n)
	}
	if n := h.m.calls["personalise"]; n != 0 {
		t.Errorf("%d chips written while the printer was not ready, want 0", n)
	}

	h.m.notReady = nil
	if _, err := h.w.RunJob(ctx, j.ID, "clerk1"); err != nil {
		t.Fatalf("run after the fault was fixed: %v", err)
	}
	h.checkInvariants(false)
}
