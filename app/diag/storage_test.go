package diag

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/store"
)

// fillDB writes enough rows that the database has pages beyond the schema.
func fillDB(t testing.TB, dir string) {
	t.Helper()
	cfg := testConfig(t)
	cfg.DataDir = dir
	db := openDB(t, cfg)
	for i := range 200 {
		if _, err := db.Exec(`INSERT INTO stock_lots (lot_number, received, received_at) VALUES (?, 100, ?)`,
			strings.Repeat("L", 100)+string(rune('A'+i%26))+time.Now().Format(time.RFC3339Nano), "2026-01-01"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestStorageGood(t *testing.T) {
	cfg := testConfig(t)
	fillDB(t, cfg.DataDir)
	s := New(Options{Config: cfg})
	r := run(t, s, RunOptions{Devices: []string{"storage"}})
	expect(t, r, "storage.integrity", StatusPass, "")
	expect(t, r, "storage.size", StatusPass, "")
	expect(t, r, "storage.wal", StatusPass, "")
	expect(t, r, "storage.backups", StatusSkip, "")
	r = run(t, s, RunOptions{Devices: []string{"storage"}, FullIntegrity: true})
	if got := expect(t, r, "storage.integrity", StatusPass, "").Details["pragma"]; got != "integrity_check" {
		t.Errorf("pragma %q, want integrity_check with FullIntegrity", got)
	}
}

// TestStorageCorruptPage writes garbage over a table page of a copy of the
// database: quick_check must fail with the restore fix.
func TestStorageCorruptPage(t *testing.T) {
	src := t.TempDir()
	fillDB(t, src)
	cfg := testConfig(t)
	b, err := os.ReadFile(filepath.Join(src, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	if len(b) < 6*pageSize {
		t.Fatalf("database has %d bytes, too few pages to damage one", len(b))
	}
	last := (len(b)/pageSize - 1) * pageSize
	for i := last; i < last+pageSize; i++ {
		b[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, store.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"storage"}})
	c := expect(t, r, "storage.integrity", StatusFail, "backup")
	t.Logf("reason: %s", c.Reason)
	if !r.Failed() {
		t.Error("report not failed for a damaged database")
	}
}

func TestBackupAndBackupCheck(t *testing.T) {
	cfg := testConfig(t)
	fillDB(t, cfg.DataDir)
	db := openDB(t, cfg)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	dir := filepath.Join(cfg.DataDir, BackupDirName)
	path, err := Backup(context.Background(), db, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "permitdesk-20261204T100000Z.db" {
		t.Errorf("backup name %s", filepath.Base(path))
	}
	if _, err := Backup(context.Background(), db, dir, now); err == nil {
		t.Error("a second backup with the same name did not fail")
	}
	fresh := run(t, New(Options{Config: cfg, Now: func() time.Time { return time.Now() }}),
		RunOptions{Devices: []string{"storage"}})
	expect(t, fresh, "storage.backups", StatusPass, "")
	later := func() time.Time { return time.Now().Add(10 * 24 * time.Hour) }
	stale := run(t, New(Options{Config: cfg, Now: later}), RunOptions{Devices: []string{"storage"}})
	expect(t, stale, "storage.backups", StatusWarn, "permitdesk db backup")
}

func TestStorageMissingDatabase(t *testing.T) {
	cfg := testConfig(t)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"storage"}})
	expect(t, r, "storage.integrity", StatusWarn, "data_dir")
	if _, err := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); err == nil {
		t.Error("the check created a database file")
	}
}
