package diag

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"permitdesk/app/operators"
	"permitdesk/devices/scanner"
)

func TestActionTestCard(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db})
	ctx := context.Background()
	if _, err := s.RunAction(ctx, tech, ActionRequest{Action: ActionPrinterTestCard}); !errors.Is(err, ErrConfirmRequired) {
		t.Fatalf("unconfirmed test card: err %v, want ErrConfirmRequired", err)
	}
	if n := len(sim.Printed()); n != 0 {
		t.Fatalf("%d cards printed before confirmation", n)
	}
	c, err := s.RunAction(ctx, tech, ActionRequest{Action: ActionPrinterTestCard, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusPass {
		t.Fatalf("test card: %s %s (fix %s)", c.Status, c.Reason, c.Fix)
	}
	printed := sim.Printed()
	if len(printed) != 1 || printed[0].Front == nil || printed[0].Back != nil {
		t.Fatalf("printed %d cards, want one with a front and no back", len(printed))
	}
	if _, _, _, delivered := sim.Counters(); delivered != 1 {
		t.Errorf("%d cards delivered, want the test card in the output hopper", delivered)
	}
	recs := consoleRecords(t, db)
	if len(recs) != 2 || !strings.Contains(recs[1], `"result":"pass"`) {
		t.Errorf("audit records %v, want the confirmed request and its pass", recs)
	}
}

func TestActionTestCardCoverOpen(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	sim.SetCoverOpen(true)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	c, err := New(Options{Config: cfg, DB: db}).RunAction(context.Background(), tech,
		ActionRequest{Action: ActionPrinterTestCard, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusFail || !strings.Contains(strings.ToLower(c.Fix), "cover") {
		t.Errorf("test card with the cover open: %s %q fix %q, want a failure naming the cover", c.Status,
			c.Reason, c.Fix)
	}
}

func TestActionEraseTest(t *testing.T) {
	cfg := testConfig(t)
	sim := startRewriter(t, &cfg)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db})
	ctx := context.Background()
	c, err := s.RunAction(ctx, tech, ActionRequest{Action: ActionRewriterErase, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusPass {
		t.Fatalf("erase test: %s %s", c.Status, c.Reason)
	}
	if n := len(sim.Images()); n != 1 {
		t.Errorf("%d strip images written, want 1 after the erase", n)
	}
	sim.RemoveCard()
	c, err = s.RunAction(ctx, tech, ActionRequest{Action: ActionRewriterErase, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusFail || !strings.Contains(c.Fix, "inlet") {
		t.Errorf("erase with no card: %s fix %q, want a failure asking for a card at the inlet", c.Status, c.Fix)
	}
}

func TestActionIDReaderMasksNumber(t *testing.T) {
	cfg := testConfig(t)
	emu := startIDReader(t, &cfg)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db})
	ctx := context.Background()
	req := ActionRequest{Action: ActionIDReaderRead, TimeoutMs: 300}
	c, err := s.RunAction(ctx, tech, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusFail {
		t.Errorf("read with no card: %s, want fail", c.Status)
	}
	if err := emu.Place(0); err != nil {
		t.Fatal(err)
	}
	req.TimeoutMs = 5000
	c, err = s.RunAction(ctx, tech, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusPass {
		t.Fatalf("read: %s %s", c.Status, c.Reason)
	}
	masked := c.Details["id_number"]
	if len(masked) != 18 || !strings.Contains(masked, "************") {
		t.Errorf("id_number %q is not masked", masked)
	}
	if regexp.MustCompile(`[0-9]{17}[0-9Xx]`).MatchString(c.Reason) {
		t.Errorf("reason %q shows a full ID number", c.Reason)
	}
}

func TestActionScannerScan(t *testing.T) {
	cfg := testConfig(t)
	bus, ep := startScanner(t, &cfg)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db, HID: bus})
	ctx := context.Background()
	c, err := s.RunAction(ctx, tech, ActionRequest{Action: ActionScannerScan, TimeoutMs: 200})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusFail {
		t.Errorf("scan with nothing scanned: %s, want fail", c.Status)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		for _, r := range scanner.EncodeReports("]Q1", []byte("APP-2026-000123 440301199001011234")) {
			ep.Input(r)
		}
	}()
	c, err = s.RunAction(ctx, tech, ActionRequest{Action: ActionScannerScan, TimeoutMs: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusPass {
		t.Fatalf("scan: %s %s", c.Status, c.Reason)
	}
	if got := c.Details["text"]; got != "APP-2026-000123 4403************34" {
		t.Errorf("scanned text %q, want the ID number masked", got)
	}
}
