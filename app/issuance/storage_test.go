package issuance

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"permitdesk/app/store"
)

// openLimited opens a second handle on the harness database with one
// connection, on which pragma is run first.
func openLimited(t *testing.T, h *harness, pragma string) *Service {
	t.Helper()
	db, err := sql.Open("sqlite", store.DSN(filepath.Join(h.dir, store.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(pragma); err != nil {
		t.Fatal(err)
	}
	return New(db, Options{StationID: "SZ-FT-01", Applications: h.apps, Outbox: tableOutbox{}, Operators: h.ops})
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFullDiskLeavesNoHalfJob(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	j := h.enqueue("A1")
	if _, err := w.RunJob(ctx, j.ID, "clerk1"); err != nil {
		t.Fatal(err)
	}
	var pages int
	h.db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	full := openLimited(t, h, "PRAGMA max_page_count = "+strconv.Itoa(pages))
	jobs, events, audits := countRows(t, h.db, "jobs"), countRows(t, h.db, "job_events"), countRows(t, h.db, "audit_log")

	// A big permit photo makes the job row need new pages.
	big := h.apps["A2"]
	big.Photo = make([]byte, 256<<10)
	h.apps["A2"] = big
	_, err := full.Enqueue(ctx, h.clerk, "A2")
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("enqueue on a full database: err = %v, want a database-full error", err)
	}
	if !strings.Contains(err.Error(), "A2") {
		t.Errorf("error %q does not name the application", err)
	}
	if countRows(t, h.db, "jobs") != jobs || countRows(t, h.db, "job_events") != events ||
		countRows(t, h.db, "audit_log") != audits {
		t.Error("a failed enqueue left rows behind")
	}
	h.checkInvariants(false)
}

func TestReadOnlyDatabaseClearError(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	ctx := context.Background()
	j := h.enqueue("A1")
	ro := openLimited(t, h, "PRAGMA query_only = 1")
	_, err := ro.Handover(ctx, h.clerk, j.ID)
	if err == nil {
		t.Fatal("write on a read-only database succeeded")
	}
	if !strings.Contains(err.Error(), "readonly") && !strings.Contains(err.Error(), "read-only") &&
		!strings.Contains(err.Error(), "query_only") && !strings.Contains(err.Error(), "attempt to write") {
		t.Errorf("error %q does not say the database is read-only", err)
	}
	_, err = ro.Enqueue(ctx, h.clerk, "A2")
	if err == nil {
		t.Fatal("enqueue on a read-only database succeeded")
	}
	if got := h.job(j.ID); got.State != Queued {
		t.Errorf("job is %s after failed writes", got.State)
	}
	if countRows(t, h.db, "jobs") != 1 {
		t.Error("a failed enqueue left a job")
	}
}

func TestStepFailsWhenDatabaseFull(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	ctx := context.Background()
	j := h.enqueue("A1")
	var pages int
	h.db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	full := openLimited(t, h, "PRAGMA max_page_count = "+strconv.Itoa(pages))
	// Fill the last free pages so the next transition cannot grow any table.
	full.db.Exec(`CREATE TABLE filler (b BLOB)`)
	for full.db.Exec(`INSERT INTO filler VALUES (zeroblob(4000))`); ; {
		if _, err := full.db.Exec(`INSERT INTO filler VALUES (zeroblob(4000))`); err != nil {
			break
		}
	}
	w, err := NewWorker(WorkerOptions{Service: full, CardPath: h.m, Encoder: h.m, Faces: fakeFaces{},
		LockDir: h.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err == nil {
		t.Fatalf("job ran on a full database to %s", got.State)
	}
	if !strings.Contains(err.Error(), "full") {
		t.Errorf("error %q does not say the database is full", err)
	}
	h.checkInvariants(false)
	w.Close()

	// With space again, recovery and the operator's choice finish the job.
	h.worker(WorkerOptions{})
	if _, err := h.w.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	after := h.job(j.ID)
	t.Logf("job stopped at %s: %s", after.State, after.Attention)
	err = nil
	switch after.State {
	case NeedsAttention:
		after, err = h.w.Resolve(ctx, h.clerk, j.ID, ChoiceContinue, "", "")
	case Queued:
		after, err = h.w.RunJob(ctx, j.ID, "clerk1")
	}
	if err != nil || after.State != AwaitingHandover {
		t.Fatalf("finish after recovery: %v, state %s", err, after.State)
	}
	if _, err := h.svc.Handover(ctx, h.clerk, j.ID); err != nil {
		t.Fatal(err)
	}
	h.checkInvariants(true)
}
