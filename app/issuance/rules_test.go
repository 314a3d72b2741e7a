package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"permitdesk/app/operators"
	"permitdesk/app/store"
)

func issueOne(t *testing.T, h *harness, app string) *Job {
	t.Helper()
	ctx := context.Background()
	j := h.enqueue(app)
	if _, err := h.w.RunJob(ctx, j.ID, "clerk1"); err != nil {
		t.Fatal(err)
	}
	done, err := h.svc.Handover(ctx, h.clerk, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestEnqueueRefusesDuplicates(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	j := h.enqueue("A1")
	if _, err := h.svc.Enqueue(ctx, h.clerk, "A1"); !errors.Is(err, ErrJobOpen) {
		t.Errorf("second job for an open application: err = %v, want ErrJobOpen", err)
	}
	h.w.RunJob(ctx, j.ID, "clerk1")
	h.svc.Handover(ctx, h.clerk, j.ID)
	if _, err := h.svc.Enqueue(ctx, h.clerk, "A1"); !errors.Is(err, ErrAlreadyIssued) {
		t.Errorf("job for an issued permit: err = %v, want ErrAlreadyIssued", err)
	}
	if _, err := h.svc.Enqueue(ctx, h.clerk, "NOPE"); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("unknown application: err = %v", err)
	}
}

func TestEnqueueRevocationPolicy(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	h.svc.opt.Revocations = fakeRevocations{revoked: map[string]string{"A2": "approval withdrawn"}}
	if _, err := h.svc.Enqueue(ctx, h.clerk, "A2"); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked application: err = %v, want ErrRevoked", err)
	}
	h.svc.opt.Revocations = fakeRevocations{err: ErrRevocationUnknown}
	if _, err := h.svc.Enqueue(ctx, h.clerk, "A1"); err != nil {
		t.Errorf("allow policy offline: %v", err)
	}
	h.svc.opt.BlockWhenRevocationUnknown = true
	if _, err := h.svc.Enqueue(ctx, h.clerk, "A3"); !errors.Is(err, ErrRevocationUnknown) {
		t.Errorf("block policy offline: err = %v, want ErrRevocationUnknown", err)
	}
}

func TestRolesEnforcedInService(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	tech := h.login("tech1", "tech-password")
	if _, err := h.svc.Enqueue(ctx, tech, "A1"); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("technician enqueue: err = %v, want ErrForbidden", err)
	}
	if _, err := h.svc.ReceiveLot(ctx, h.clerk, "LOT-X", 5); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("clerk receiving stock: err = %v, want ErrForbidden", err)
	}
	j := issueOne(t, h, "A1")
	if _, err := h.svc.Void(ctx, h.clerk, j.ID, "", "lost"); !errors.Is(err, operators.ErrNoApproval) {
		t.Errorf("clerk void without approval: err = %v, want ErrNoApproval", err)
	}
	if _, err := h.ops.Approve(ctx, h.clerk, "clerk1", "clerk-password", ApproveVoid); !errors.Is(err,
		operators.ErrForbidden) {
		t.Errorf("clerk approving own void: err = %v, want ErrForbidden", err)
	}
	if _, err := h.svc.Reprint(ctx, h.clerk, "A1", h.approve(ApproveVoid), "damaged"); !errors.Is(err,
		operators.ErrNoApproval) {
		t.Errorf("reprint with a void approval: err = %v, want ErrNoApproval", err)
	}
	if got := h.job(j.ID); got.State != Issued {
		t.Errorf("after refused void and reprint the job is %s", got.State)
	}
}

func TestVoidIssuedCard(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	j := issueOne(t, h, "A1")
	voided, err := h.svc.Void(ctx, h.clerk, j.ID, h.approve(ApproveVoid), "holder reported it stolen")
	if err != nil {
		t.Fatal(err)
	}
	if voided.State != Voided || voided.Card.State != "voided" {
		t.Errorf("job %s card %s, want voided", voided.State, voided.Card.State)
	}
	var kinds string
	h.db.QueryRow(`SELECT group_concat(kind, ',') FROM (SELECT kind FROM test_outbox ORDER BY kind)`).Scan(&kinds)
	if kinds != "issued,voided" {
		t.Errorf("outbox kinds %q, want issued,voided", kinds)
	}
	var approvedBy string
	h.db.QueryRow(`SELECT json_extract(detail, '$.approved_by') FROM audit_log WHERE action = 'void'`).Scan(
		&approvedBy)
	if approvedBy != "boss" {
		t.Errorf("audit approved_by %q, want boss", approvedBy)
	}
	h.checkInvariants(true)
}

func TestReprintVoidsOldCard(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	first := issueOne(t, h, "A1")
	re, err := h.svc.Reprint(ctx, h.clerk, "A1", h.approve(ApproveReprint), "card damaged")
	if err != nil {
		t.Fatal(err)
	}
	if re.Kind != KindReprint || re.State != Queued {
		t.Errorf("reprint job %s %s", re.Kind, re.State)
	}
	if old := h.job(first.ID); old.State != Voided || old.Card.State != "voided" {
		t.Errorf("old job %s card %s, want voided", old.State, old.Card.State)
	}
	if _, err := h.w.RunJob(ctx, re.ID, "clerk1"); err != nil {
		t.Fatal(err)
	}
	h.svc.Handover(ctx, h.clerk, re.ID)
	var valid int
	h.db.QueryRow(`SELECT count(*) FROM cards WHERE permit_number = ? AND state = 'issued'`,
		first.PermitNumber).Scan(&valid)
	if valid != 1 {
		t.Errorf("%d issued cards for the permit, want 1", valid)
	}
	h.checkInvariants(true)
}

func TestSchemaRejectsSecondValidCard(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	j := issueOne(t, h, "A1")
	cases := []struct {
		name, sql string
	}{
		{"second valid card", `INSERT INTO cards (job_id, lot_id, permit_number, state, created_at, updated_at)
			SELECT job_id, lot_id, permit_number, 'fed', 'x', 'x' FROM cards WHERE id = ?`},
		{"issued without print", `UPDATE cards SET printed_at = NULL WHERE id = ?`},
		{"verified without serial", `UPDATE cards SET state = 'verified', serial = NULL WHERE id = ?`},
		{"spoiled without reason", `UPDATE cards SET state = 'spoiled', reason = '' WHERE id = ?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.db.ExecContext(ctx, tc.sql, j.CardID)
			if err == nil {
				t.Fatal("schema accepted it")
			}
		})
	}
}

func TestWorkersRaceForOneJob(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	workers := make([]*Worker, 4)
	for i := range workers {
		w, err := NewWorker(WorkerOptions{Service: h.svc, Printer: string(rune('a' + i)), CardPath: newMachine(1),
			Encoder: newMachine(1), Faces: fakeFaces{}, LockDir: h.dir})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		workers[i] = w
	}
	for round := range 20 {
		app := "A1"
		j := h.enqueue(app)
		var wins sync.WaitGroup
		got := make(chan int64, len(workers))
		for _, w := range workers {
			wins.Go(func() {
				if c, err := w.Claim(ctx); err == nil {
					got <- c.ID
				} else if !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
			})
		}
		wins.Wait()
		close(got)
		var n int
		for id := range got {
			n++
			if id != j.ID {
				t.Errorf("round %d: claimed job %d, want %d", round, id, j.ID)
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d workers claimed the job, want 1", round, n)
		}
		if _, err := h.svc.Void(ctx, h.clerk, j.ID, h.approve(ApproveVoid), "race test"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSecondWorkerOnPrinterRefused(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(1), true)
	h.worker(WorkerOptions{})
	_, err := NewWorker(WorkerOptions{Service: h.svc, CardPath: h.m, Encoder: h.m, Faces: fakeFaces{},
		LockDir: h.dir})
	if !errors.Is(err, ErrPrinterBusy) {
		t.Fatalf("second worker: err = %v, want ErrPrinterBusy", err)
	}
	if !strings.Contains(err.Error(), "printer-printer.lock") {
		t.Errorf("error %q does not name the lock file", err)
	}
}

func TestBusyDatabaseUnderLoad(t *testing.T) {
	dir := t.TempDir()
	h := openHarness(t, dir, nil, true)
	ctx := context.Background()
	// Each writer has its own connection pool, as separate processes would.
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers*50)
	for i := range writers {
		db, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		svc := New(db, Options{StationID: "SZ-FT-01", Applications: h.apps, Outbox: tableOutbox{}, Operators: h.ops})
		wg.Go(func() {
			for k := range 50 {
				err := store.InTx(ctx, db, func(tx *sql.Tx) error {
					_, err := svc.insertJob(ctx, tx, h.clerk, fmt.Sprintf("LOAD-%d-%d", i, k), KindIssue,
						testPermit(), "")
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write under load: %v", err)
	}
	var n int
	h.db.QueryRow(`SELECT count(*) FROM jobs`).Scan(&n)
	if n != writers*50 {
		t.Errorf("%d jobs, want %d", n, writers*50)
	}
	h.m = nil
	h.checkInvariants(false)
}
