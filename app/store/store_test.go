package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"permitdesk/app/logging"
	"permitdesk/app/store"
)

func openMigrated(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := store.OpenMigrated(context.Background(), dir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrationsApply(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, t.TempDir())
	defer db.Close()

	st, err := store.ReadStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Latest == 0 {
		t.Fatal("no embedded migrations")
	}
	if st.Current != st.Latest {
		t.Errorf("version %d after migrating, want %d", st.Current, st.Latest)
	}
	if len(st.Pending) != 0 {
		t.Errorf("pending %v after migrating, want none", st.Pending)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('k', 'v')`); err != nil {
		t.Errorf("settings table not usable: %v", err)
	}
}

func TestMigrateTwiceKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openMigrated(t, dir)
	if _, err := db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('ui.language', 'en')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openMigrated(t, dir)
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'ui.language'`).Scan(&v); err != nil {
		t.Fatalf("row lost after reopening: %v", err)
	}
	if v != "en" {
		t.Errorf("value = %q, want en", v)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestNewerSchemaRefusedUnchanged marks a database as migrated by a newer
// binary and checks that opening it fails without touching the file.
func TestNewerSchemaRefusedUnchanged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, store.FileName)

	db := openMigrated(t, dir)
	st, err := store.ReadStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	future := st.Latest + 1
	if _, err := db.ExecContext(ctx,
		`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, future); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := fileHash(t, path)

	_, err = store.OpenMigrated(ctx, dir, logging.Discard())
	if !errors.Is(err, store.ErrTooNew) {
		t.Fatalf("OpenMigrated = %v, want ErrTooNew", err)
	}
	for _, want := range []string{"version " + itoa(future), "knows up to " + itoa(st.Latest), "not changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}

	if after := fileHash(t, path); !bytes.Equal(before[:], after[:]) {
		t.Error("database file changed after the refused open")
	}
	db, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	again, err := store.ReadStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if again.Current != future {
		t.Errorf("version %d after the refused open, want %d", again.Current, future)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, t.TempDir())
	defer db.Close()
	failure := errors.New("step failed")
	err := store.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('a', 'b')`); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = 'a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows after rollback, want 0", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
