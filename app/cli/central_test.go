package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/store"
	"permitdesk/app/sync"
	"permitdesk/central/api"
	"permitdesk/central/pki"
	cstore "permitdesk/central/store"
)

// runCentralCLI runs one command line and returns its output.
func runCentralCLI(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// serveCentralCLI starts `central serve` on a free port and returns its URL.
func serveCentralCLI(t *testing.T, dataDir string) string {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		env := &Env{Out: pw, ErrOut: io.Discard}
		root := NewRoot(env)
		root.SetArgs([]string{"central", "serve", "--data", dataDir, "--addr", "127.0.0.1:0",
			"--seed", "../../testdata/applications", "--log-level", "warn"})
		done <- root.ExecuteContext(ctx)
		env.Close()
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("central serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("central serve: %v", err)
		}
	})
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[3], "https://") {
		t.Fatalf("unexpected first line %q", line)
	}
	return fields[3]
}

func TestCentralServeAndSyncOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	centralDir, pkiDir := filepath.Join(dir, "central"), filepath.Join(dir, "central", "pki")
	if _, err := runCentralCLI(t, ctx, "central", "pki", "init", "--dir", pkiDir); err != nil {
		t.Fatal(err)
	}
	url := serveCentralCLI(t, centralDir)

	cfgPath := filepath.Join(dir, "permitdesk.toml")
	cfg := fmt.Sprintf("station_id = \"DEV-0001\"\ndata_dir = %q\n[central]\nurl = %q\nca_file = %q\n"+
		"cert_file = %q\nkey_file = %q\n", filepath.Join(dir, "ws"), url, filepath.Join(pkiDir, "ca.pem"),
		filepath.Join(pkiDir, "station-DEV-0001.pem"), filepath.Join(pkiDir, "station-DEV-0001-key.pem"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "warn", "sync", "--once")
	if err != nil {
		t.Fatalf("sync --once: %v\n%s", err, out)
	}
	if !strings.Contains(out, "pulled 520 applications") {
		t.Errorf("first sync printed %q, want 520 applications pulled", out)
	}

	key, app := enqueueIssuedRecord(t, filepath.Join(dir, "ws"))
	out, err = runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "warn", "sync", "--once")
	if err != nil || !strings.Contains(out, "1 accepted") {
		t.Fatalf("second sync: %v\n%s", err, out)
	}

	out, err = runCentralCLI(t, ctx, "central", "admin", "--data", centralDir, "list", "--status", "issued", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var issued []cstore.Summary
	if err := json.Unmarshal([]byte(out), &issued); err != nil {
		t.Fatalf("admin list --json: %v\n%s", err, out)
	}
	if len(issued) != 1 || issued[0].ID != app {
		t.Errorf("central lists %+v as issued, want application %s", issued, app)
	}
	out, err = runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "warn", "sync", "status", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st sync.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Online || st.Sent != 1 || st.OutboxDepth != 0 || st.Applications != 520 {
		t.Errorf("sync status after pushing %s: %+v", key, st)
	}
}

// enqueueIssuedRecord replaces the issuance workflow in this test. It queues
// an issued record for the first cached application in the workstation database.
func enqueueIssuedRecord(t *testing.T, dataDir string) (key, appID string) {
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
	if err := db.QueryRow(`SELECT id, permit_number FROM sync_applications ORDER BY seq LIMIT 1`).Scan(&appID, &permit); err != nil {
		t.Fatal(err)
	}
	err = store.InTx(ctx, db, func(tx *sql.Tx) error {
		key, err = svc.Enqueue(ctx, tx, sync.Record{Kind: sync.KindIssued, ApplicationID: appID,
			PermitNumber: permit, CardSerial: "04A1B2C3D4E5F6"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return key, appID
}

func TestCentralAdminFaultsAndApprove(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	centralDir := filepath.Join(dir, "central")
	pkiDir := filepath.Join(centralDir, "pki")
	if _, err := runCentralCLI(t, ctx, "central", "pki", "init", "--dir", pkiDir); err != nil {
		t.Fatal(err)
	}
	url := serveCentralCLI(t, centralDir)
	cfgPath := filepath.Join(dir, "permitdesk.toml")
	cfg := fmt.Sprintf("station_id = \"DEV-0001\"\ndata_dir = %q\n[central]\nurl = %q\nca_file = %q\n"+
		"cert_file = %q\nkey_file = %q\n", filepath.Join(dir, "ws"), url, filepath.Join(pkiDir, "ca.pem"),
		filepath.Join(pkiDir, "station-DEV-0001.pem"), filepath.Join(pkiDir, "station-DEV-0001-key.pem"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := runCentralCLI(t, ctx, "central", "admin", "--data", centralDir, "faults", "--url", url,
		"--error-rate", "1"); err != nil {
		t.Fatal(err)
	}
	_, err := runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "error", "sync", "--once")
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("sync with every request failing: %v, want HTTP 503", err)
	}
	out, err := runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "error", "sync", "status")
	if err != nil || !strings.Contains(out, "offline since") {
		t.Errorf("status while failing: %v\n%s", err, out)
	}

	if _, err := runCentralCLI(t, ctx, "central", "admin", "--data", centralDir, "faults", "--url", url); err != nil {
		t.Fatal(err)
	}
	out, err = runCentralCLI(t, ctx, "central", "admin", "--data", centralDir, "list", "--status", "pending",
		"--station", "DEV-0001", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var pending []cstore.Summary
	if err := json.Unmarshal([]byte(out), &pending); err != nil || len(pending) == 0 {
		t.Fatalf("pending list: %v\n%s", err, out)
	}
	if out, err = runCentralCLI(t, ctx, "central", "admin", "--data", centralDir, "approve", pending[0].ID); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	sealPub, err := pki.LoadSealPublicKey(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sealed with key " + api.SealKeyID(sealPub); !strings.Contains(out, want) {
		t.Errorf("approve output %q does not contain %q", out, want)
	}
	out, err = runCentralCLI(t, ctx, "--config", cfgPath, "--log-level", "error", "sync", "--once")
	if err != nil || !strings.Contains(out, "pulled 521 applications") {
		t.Errorf("sync after clearing faults and one approval: %v\n%s", err, out)
	}
}
