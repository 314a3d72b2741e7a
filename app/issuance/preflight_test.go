package issuance

import (
	"context"
	"errors"
	"fmt"
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

func TestCardInPrinterNamesItsJob(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	h.m.notReady = fmt.Errorf("%w at the contactless position", ErrCardInPrinter)
	first := h.enqueue("A1")
	second := h.enqueue("A2")

	_, err := h.w.RunJob(ctx, second.ID, "clerk1")
	if !errors.Is(err, ErrPrinterNotReady) {
		t.Fatalf("err = %v, want ErrPrinterNotReady", err)
	}
	if !strings.Contains(err.Error(), "permitdesk queue list --state needs_attention") {
		t.Errorf("without a stopped job, error %q does not point to the jobs that need attention", err)
	}

	if _, err := h.db.Exec(`UPDATE jobs SET state = 'needs_attention', attention_from = 'encoding', printer = ?
		WHERE id = ?`, w.opt.Printer, first.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.w.RunJob(ctx, second.ID, "clerk1")
	if !errors.Is(err, ErrCardInPrinter) {
		t.Fatalf("err = %v, want ErrCardInPrinter", err)
	}
	want := fmt.Sprintf("card of job %d, so verify it and continue with `permitdesk queue retry %d --continue`",
		first.ID, first.ID)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}
