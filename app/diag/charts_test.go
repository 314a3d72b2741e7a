package diag

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

func insertJob(t *testing.T, db *sql.DB, id int, printer, created string) {
	t.Helper()
	_, err := db.Exec(`INSERT INTO jobs (id, application_id, permit_number, kind, state, printer, permit,
		created_at, updated_at) VALUES (?, ?, ?, 'issue', 'queued', ?, '{}', ?, ?)`,
		id, "APP-"+created, "P-"+created, printer, created, created)
	if err != nil {
		t.Fatal(err)
	}
}

func insertEvent(t *testing.T, db *sql.DB, job int, to, detail, at string) {
	t.Helper()
	_, err := db.Exec(`INSERT INTO job_events (job_id, from_state, to_state, detail, at) VALUES (?, 'queued', ?, ?, ?)`,
		job, to, detail, at)
	if err != nil {
		t.Fatal(err)
	}
}

func TestChartsPerDeviceAndLocalDay(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.Printer.Port = "/dev/ttyUSB0"
	db := openDB(t, cfg)
	insertJob(t, db, 1, "printer", "2026-12-04T01:00:00.000000000Z")
	insertJob(t, db, 2, "printer", "2026-12-03T17:00:00.000000000Z") // 01:00 on the 4th in UTC+8
	insertJob(t, db, 3, "printer", "2026-11-01T03:00:00.000000000Z") // before the period
	insertJob(t, db, 4, "printer2", "2026-12-02T03:00:00.000000000Z")
	insertEvent(t, db, 1, "spoiled", `{"reason":"feed failed"}`, "2026-12-04T01:05:00.000000000Z")
	insertEvent(t, db, 2, "queued", `{"step":"not fed"}`, "2026-12-03T17:01:00.000000000Z")
	insertEvent(t, db, 2, "card_fed", `{"step":"card at station"}`, "2026-12-03T17:02:00.000000000Z")
	insertEvent(t, db, 4, "needs_attention", `{}`, "2026-12-02T03:01:00.000000000Z")

	cst := time.FixedZone("CST", 8*3600)
	now := func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, cst) }
	ch, err := New(Options{Config: cfg, DB: db, Now: now, Location: cst}).Charts(context.Background(), ChartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ch.From != "2026-11-05" || ch.To != "2026-12-04" {
		t.Errorf("period %s to %s, want 2026-11-05 to 2026-12-04", ch.From, ch.To)
	}
	if len(ch.Devices) != 2 || ch.Devices[0].Device != "printer" || ch.Devices[1].Device != "printer2" {
		t.Fatalf("devices %+v, want printer and printer2", ch.Devices)
	}
	for _, s := range ch.Devices {
		if len(s.Days) != 30 {
			t.Errorf("%s: %d days, want 30", s.Device, len(s.Days))
		}
	}
	want := map[string]map[string]DayCount{
		"printer":  {"2026-12-04": {Day: "2026-12-04", Jobs: 2, Errors: 2}, "2026-12-03": {Day: "2026-12-03"}},
		"printer2": {"2026-12-02": {Day: "2026-12-02", Jobs: 1, Errors: 1}, "2026-12-04": {Day: "2026-12-04"}},
	}
	for _, s := range ch.Devices {
		total := 0
		for _, d := range s.Days {
			total += d.Jobs
			if w, ok := want[s.Device][d.Day]; ok && d != w {
				t.Errorf("%s %s: %+v, want %+v", s.Device, d.Day, d, w)
			}
		}
		if s.Device == "printer" && total != 2 {
			t.Errorf("printer: %d jobs in the period, want 2 (the November job is outside it)", total)
		}
	}
}

func TestChartsEmptyHasConfiguredPrinter(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.Printer.Port = "/dev/ttyUSB0"
	ch, err := New(Options{Config: cfg, DB: openDB(t, cfg)}).Charts(context.Background(), ChartRequest{Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Devices) != 1 || len(ch.Devices[0].Days) != 7 {
		t.Fatalf("charts %+v, want one printer with 7 empty days", ch)
	}
}
