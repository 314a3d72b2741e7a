package ui

import (
	"context"
	"testing"

	"permitdesk/app/config"
	"permitdesk/app/diag"
	"permitdesk/app/logging"
	"permitdesk/app/store"
)

// TestRunDiagnosticsStorage runs the real diagnostics on a station with no
// devices: the storage checks run against the real database.
func TestRunDiagnosticsStorage(t *testing.T) {
	f := newQueueFixture(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	db, err := store.OpenMigrated(context.Background(), cfg.DataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f.app.opts.Diagnostics = diag.New(diag.Options{Config: cfg, DB: db})

	if _, err := f.app.RunDiagnostics(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("RunDiagnostics without login = %v, want code %q", err, CodeNotLoggedIn)
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	r, err := f.app.RunDiagnostics()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) == 0 {
		t.Fatal("no checks ran")
	}
	if r.Pass+r.Warn+r.Fail+r.Skip != len(r.Checks) {
		t.Errorf("summary %d+%d+%d+%d does not add up to %d checks", r.Pass, r.Warn, r.Fail, r.Skip, len(r.Checks))
	}
	storage := 0
	for _, c := range r.Checks {
		if c.Device == "storage" {
			storage++
			if c.Status == "fail" {
				t.Errorf("storage check %s failed on a fresh database: %s", c.ID, c.Reason)
			}
		}
		if c.Details == nil {
			t.Errorf("check %s: nil details, want an empty map for the frontend", c.ID)
		}
	}
	if storage == 0 {
		t.Error("no storage check in the report")
	}
}
