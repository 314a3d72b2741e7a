package diag

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
)

// consoleRecords returns the detail of every console audit record by actor.
func consoleRecords(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT actor || ' ' || detail FROM audit_log WHERE action = ? ORDER BY seq`,
		audit.ActionConsole)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestConsoleRefusesNonTechnician(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	db := openDB(t, cfg)
	sess := sessions(t, db)
	s := New(Options{Config: cfg, DB: db})
	ctx := context.Background()
	for _, role := range []operators.Role{operators.Clerk, operators.Supervisor} {
		_, err := s.APDU(ctx, sess[role], APDURequest{Hex: "00A4000002 3F00"})
		if !errors.Is(err, operators.ErrForbidden) {
			t.Errorf("APDU as %s: err %v, want ErrForbidden", role, err)
		}
		_, err = s.PrinterCommand(ctx, sess[role], PrinterCommandRequest{Command: "Rco;l"})
		if !errors.Is(err, operators.ErrForbidden) {
			t.Errorf("printer command as %s: err %v, want ErrForbidden", role, err)
		}
		_, err = s.RunAction(ctx, sess[role], ActionRequest{Action: ActionPrinterTestCard, Confirm: true})
		if !errors.Is(err, operators.ErrForbidden) {
			t.Errorf("test card as %s: err %v, want ErrForbidden", role, err)
		}
	}
	if _, err := s.PrinterCommand(ctx, nil, PrinterCommandRequest{Command: "Rco;l"}); !errors.Is(err, operators.ErrNoSession) {
		t.Errorf("printer command without a session: err %v, want ErrNoSession", err)
	}
	recs := consoleRecords(t, db)
	if len(recs) != 6 {
		t.Fatalf("%d console audit records, want 6 rejections: %v", len(recs), recs)
	}
	for _, r := range recs {
		if !strings.Contains(r, "rejected") {
			t.Errorf("audit record %q does not record the rejection", r)
		}
	}
	if inserted, _, _, _ := sim.Counters(); inserted != 0 {
		t.Errorf("%d cards fed by refused requests", inserted)
	}
}

func TestPrinterConsole(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db})
	ctx := context.Background()

	res, err := s.PrinterCommand(ctx, tech, PrinterCommandRequest{Command: "Rco;l"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reply != "1000" || res.Changes {
		t.Errorf("Rco;l: reply %q changes %v, want 1000 and no change", res.Reply, res.Changes)
	}
	if _, err := s.PrinterCommand(ctx, tech, PrinterCommandRequest{Command: "Pc;k;=;12"}); !errors.Is(err, ErrConfirmRequired) {
		t.Errorf("unconfirmed Pc: err %v, want ErrConfirmRequired", err)
	}
	if res, err := s.PrinterCommand(ctx, tech, PrinterCommandRequest{Command: "Pc;k;=;12", Confirm: true}); err != nil || res.Reply != "OK" {
		t.Errorf("confirmed Pc: reply %q err %v, want OK", res.Reply, err)
	}
	if _, err := s.PrinterCommand(ctx, tech, PrinterCommandRequest{Command: "Db;k;2"}); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("download: err %v, want ErrInvalidCommand without a confirmation", err)
	}
	sim.SetCoverOpen(true)
	res, err = s.PrinterCommand(ctx, tech, PrinterCommandRequest{Command: "Sic", Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != "printer.cover_open" {
		t.Errorf("Sic with the cover open: code %q error %q, want printer.cover_open", res.Code, res.Error)
	}
	recs := consoleRecords(t, db)
	if len(recs) != 8 {
		t.Fatalf("%d console audit records, want 8 (request and result of 4 commands): %v",
			len(recs), recs)
	}
	if !strings.Contains(recs[len(recs)-1], "cover_open") {
		t.Errorf("last record %q does not carry the printer error", recs[len(recs)-1])
	}
}

func TestConsoleNeedsAuditLog(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	tech := sessions(t, openDB(t, cfg))[operators.Technician]
	s := New(Options{Config: cfg})
	_, err := s.PrinterCommand(context.Background(), tech, PrinterCommandRequest{Command: "Rco;l"})
	if !errors.Is(err, ErrAuditUnavailable) {
		t.Errorf("err %v, want ErrAuditUnavailable without a database", err)
	}
}

func TestAPDUChanges(t *testing.T) {
	for _, tc := range []struct {
		hex     string
		changes bool
	}{
		{"00A40000023F00", false},
		{"00B0000010", false},
		{"00B2010400", false},
		{"0084000008", false},
		{"FFCA000000", false},
		{"00D6000002AABB", true},
		{"00E2000002AABB", true},
		{"008200010811223344556677 88", true},
		{"801A0001080000000000000000", true},
		{"FF00000000", true},
	} {
		_, cmd, err := parseAPDU(tc.hex)
		if err != nil {
			t.Fatalf("%s: %v", tc.hex, err)
		}
		if got := apduChanges(cmd); got != tc.changes {
			t.Errorf("%s: changes %v, want %v", tc.hex, got, tc.changes)
		}
	}
}

// TestAPDUConsoleRejectsBadHex checks that input which is never sent is
// rejected as invalid at once, without asking for a confirmation first.
func TestAPDUConsoleRejectsBadHex(t *testing.T) {
	cfg := testConfig(t)
	db := openDB(t, cfg)
	tech := sessions(t, db)[operators.Technician]
	s := New(Options{Config: cfg, DB: db})
	for _, hex := range []string{"00 A4 zz", "00"} {
		_, err := s.APDU(context.Background(), tech, APDURequest{Hex: hex})
		if !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("APDU %q: err %v, want ErrInvalidCommand", hex, err)
		}
	}
	if recs := consoleRecords(t, db); len(recs) != 4 {
		t.Errorf("%d console records, want a request and an error for each input: %v", len(recs), recs)
	}
}
