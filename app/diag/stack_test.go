package diag

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	simcard "permitdesk/devices/sim/card"
)

// TestRunEmulatedStack configures every device on its emulator, the
// reference central server and a backed-up database: every check passes,
// except the desk reader's, which shares the encoder's reader.
func TestRunEmulatedStack(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	startRewriter(t, &cfg)
	startIDReader(t, &cfg)
	bus, _ := startScanner(t, &cfg)
	startCentral(t, &cfg, 365*24*time.Hour)
	db := openDB(t, cfg)
	if _, err := Backup(context.Background(), db, filepath.Join(cfg.DataDir, BackupDirName), time.Now()); err != nil {
		t.Fatal(err)
	}
	e := startCards(t, &cfg, simcard.Options{})
	insertCard(t, e)
	s := New(Options{Config: cfg, DB: db, HID: bus})
	syncOnce(t, s)

	r := run(t, s, RunOptions{})
	for _, c := range r.Checks {
		want := StatusPass
		if c.Device == "desk_reader" {
			want = StatusSkip
		}
		if c.Status != want {
			t.Errorf("%s: %s, want %s (reason %q, fix %q)", c.ID, c.Status, want, c.Reason, c.Fix)
		}
	}
	if r.Status != StatusPass || r.Failed() {
		t.Errorf("report status %s, summary %+v", r.Status, r.Summary)
	}
	if n := len(r.Checks); n < 35 {
		t.Errorf("%d checks, want every device's (at least 35)", n)
	}
}
