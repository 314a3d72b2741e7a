package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/store"
	"permitdesk/app/sync"
)

// syncStation starts a central server, writes a station config for it and
// runs a first `sync --once` so the station has applications cached. It
// returns the config path and the station data directory.
func syncStation(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	centralDir, pkiDir := filepath.Join(dir, "central"), filepath.Join(dir, "central", "pki")
	if _, err := runCentralCLI(t, context.Background(), "central", "pki", "init", "--dir", pkiDir); err != nil {
		t.Fatal(err)
	}
	url := serveCentralCLI(t, centralDir)
	cfgPath, dataDir = filepath.Join(dir, "permitdesk.toml"), filepath.Join(dir, "ws")
	cfg := fmt.Sprintf("station_id = \"DEV-0001\"\ndata_dir = %q\n[central]\nurl = %q\nca_file = %q\n"+
		"cert_file = %q\nkey_file = %q\n", dataDir, url, filepath.Join(pkiDir, "ca.pem"),
		filepath.Join(pkiDir, "station-DEV-0001.pem"), filepath.Join(pkiDir, "station-DEV-0001-key.pem"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runSync(t, cfgPath, "sync", "--once"); err != nil {
		t.Fatalf("first sync --once: %v\n%s", err, out)
	}
	return cfgPath, dataDir
}

func runSync(t *testing.T, cfgPath string, args ...string) (string, error) {
	t.Helper()
	return runCentralCLI(t, context.Background(), append([]string{"--config", cfgPath, "--log-level", "error"}, args...)...)
}

// execStationSQL runs one statement on the station database.
func execStationSQL(t *testing.T, dataDir, query string, args ...any) {
	t.Helper()
	db, err := store.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func TestSyncOnceBackoffExitStatus(t *testing.T) {
	cfgPath, dataDir := syncStation(t)
	key, _ := enqueueIssuedRecord(t, dataDir)
	// A retry time one minute ahead, in the outbox time format, is what a
	// failed push leaves behind.
	retryAt := time.Now().Add(time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z")
	execStationSQL(t, dataDir, `UPDATE sync_outbox SET next_attempt_at = ? WHERE idempotency_key = ?`, retryAt, key)

	out, err := runSync(t, cfgPath, "sync", "--once")
	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("sync --once with a record waiting: err = %v, want an *ExitError\n%s", err, out)
	}
	if exit.Code != syncOnceUnsent {
		t.Errorf("exit code %d, want %d", exit.Code, syncOnceUnsent)
	}
	if !strings.Contains(exit.Message, "1 record still queued, waiting out a retry back-off") {
		t.Errorf("message %q does not say a record is still queued", exit.Message)
	}
	if !strings.Contains(exit.Message, "permitdesk sync status") {
		t.Errorf("message %q does not point to sync status", exit.Message)
	}
}

func TestSyncOnceConflictExitStatus(t *testing.T) {
	cfgPath, dataDir := syncStation(t)
	_, app := enqueueIssuedRecord(t, dataDir)
	if out, err := runSync(t, cfgPath, "sync", "--once"); err != nil {
		t.Fatalf("sync of the first card: %v\n%s", err, out)
	}
	enqueueSecondCard(t, dataDir, app)

	out, err := runSync(t, cfgPath, "sync", "--once")
	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("sync --once with a conflicting record: err = %v, want an *ExitError\n%s", err, out)
	}
	if exit.Code != syncOnceUnsent {
		t.Errorf("exit code %d, want %d", exit.Code, syncOnceUnsent)
	}
	if !strings.Contains(exit.Message, "1 record parked in this run (1 conflict, 0 rejected)") {
		t.Errorf("message %q does not count the parked record", exit.Message)
	}

	// The parked record is no longer queued, so the next run has nothing
	// left unsent.
	if out, err := runSync(t, cfgPath, "sync", "--once"); err != nil {
		t.Errorf("sync after the record was parked: %v\n%s", err, out)
	}
}

// enqueueSecondCard queues an issued record with a second card serial for
// application appID, which the central system reports as a conflict.
func enqueueSecondCard(t *testing.T, dataDir, appID string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := sync.New(sync.Options{DB: db, StationID: "DEV-0001"})
	if err != nil {
		t.Fatal(err)
	}
	var permit string
	if err := db.QueryRow(`SELECT permit_number FROM sync_applications WHERE id = ?`, appID).Scan(&permit); err != nil {
		t.Fatal(err)
	}
	err = store.InTx(ctx, db, func(tx *sql.Tx) error {
		_, err := svc.Enqueue(ctx, tx, sync.Record{Kind: sync.KindIssued, ApplicationID: appID,
			PermitNumber: permit, CardSerial: "04A1B2C3D4E5F7"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSyncStatusOnlineShowsLastExchange(t *testing.T) {
	cfgPath, _ := syncStation(t)
	out, err := runSync(t, cfgPath, "sync", "status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "online as of the last exchange at ") {
		t.Errorf("status %q does not date the online state", out)
	}
}
