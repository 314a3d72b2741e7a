package issuance

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

var cheapHash = operators.HashParams{Memory: 64, Time: 1, Threads: 1}

// harness is a workstation database with operators, a stock lot, a fake
// printer and a worker.
type harness struct {
	t     testing.TB
	dir   string
	db    *sql.DB
	ops   *operators.Service
	svc   *Service
	m     *machine
	w     *Worker
	clerk *operators.Session
	boss  *operators.Session
	apps  fakeApps
}

const stockCards = 20

// openHarness opens (or creates) the workstation in dir. fresh creates the
// operators, the stock lot and the applications.
func openHarness(t testing.TB, dir string, m *machine, fresh bool) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMigrated(ctx, dir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(outboxTable); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, db: db, m: m, apps: fakeApps{}}
	for _, id := range []string{"A1", "A2", "A3", "A4", "A5"} {
		h.apps[id] = testApplication(id)
	}
	h.ops = operators.New(db, operators.Options{Hash: cheapHash})
	h.svc = New(db, Options{StationID: "SZ-FT-01", Applications: h.apps, Outbox: tableOutbox{},
		Operators: h.ops})
	if fresh {
		h.seed()
	}
	h.clerk = h.login("clerk1", "clerk-password")
	h.boss = h.login("boss", "supervisor-pw")
	return h
}

func (h *harness) seed() {
	ctx := context.Background()
	if _, err := h.ops.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "Boss",
		Role: operators.Supervisor, Password: "supervisor-pw"}); err != nil {
		h.t.Fatal(err)
	}
	boss := h.login("boss", "supervisor-pw")
	for _, n := range []operators.NewOperator{
		{Login: "clerk1", Name: "Clerk", Role: operators.Clerk, Password: "clerk-password"},
		{Login: "tech1", Name: "Tech", Role: operators.Technician, Password: "tech-password"},
	} {
		if _, err := h.ops.Add(ctx, boss, n); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.svc.ReceiveLot(ctx, boss, "LOT-2026-001", stockCards); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) login(login, password string) *operators.Session {
	h.t.Helper()
	s, err := h.ops.Login(context.Background(), login, password)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// worker starts a worker on the harness's machine.
func (h *harness) worker(o WorkerOptions) *Worker {
	h.t.Helper()
	o.Service, o.CardPath, o.Encoder = h.svc, h.m, h.m
	if o.Faces == nil {
		o.Faces = fakeFaces{}
	}
	if o.LockDir == "" {
		o.LockDir = h.dir
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 5 * time.Second
	}
	w, err := NewWorker(o)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { w.Close() })
	h.w = w
	return w
}

func (h *harness) enqueue(app string) *Job {
	h.t.Helper()
	j, err := h.svc.Enqueue(context.Background(), h.clerk, app)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

func (h *harness) approve(action string) string {
	h.t.Helper()
	ap, err := h.ops.Approve(context.Background(), h.clerk, "boss", "supervisor-pw", action)
	if err != nil {
		h.t.Fatal(err)
	}
	return ap.ID
}

func (h *harness) job(id int64) *Job {
	h.t.Helper()
	j, err := h.svc.Job(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

// checkInvariants checks the database against itself and against the fake
// machine: one valid card per permit, issued only after verification and
// print, stock reconciled with the cards that physically left the feeder,
// one outbox record per card event, and an intact audit chain.
func (h *harness) checkInvariants(final bool) {
	h.t.Helper()
	ctx := context.Background()
	for _, err := range h.invariantErrors(ctx, final) {
		h.t.Error(err)
	}
}

func (h *harness) invariantErrors(ctx context.Context, final bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	q := func(query string, args ...any) int64 {
		var n int64
		if err := h.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			fail("%s: %v", query, err)
		}
		return n
	}
	if n := q(`SELECT count(*) FROM (SELECT permit_number FROM cards WHERE state NOT IN ('spoiled', 'voided')
		GROUP BY permit_number HAVING count(*) > 1)`); n > 0 {
		fail("%d permits have more than one valid card", n)
	}
	if n := q(`SELECT count(*) FROM cards WHERE state = 'issued' AND (verified_at IS NULL OR printed_at IS NULL
		OR serial IS NULL)`); n > 0 {
		fail("%d issued cards lack verification or print", n)
	}
	rec, err := h.svc.Reconcile(ctx)
	if err != nil {
		fail("reconcile: %v", err)
	}
	for _, p := range rec.Problems {
		fail("stock: %s", p)
	}
	if n := q(`SELECT count(*) FROM test_outbox WHERE card_serial = ''`); n > 0 {
		fail("%d outbox records without a card serial", n)
	}
	if n := q(`SELECT count(*) FROM cards c WHERE c.state IN ('issued', 'spoiled') AND c.serial IS NOT NULL
		AND NOT EXISTS
		(SELECT 1 FROM test_outbox o WHERE o.key = 'SZ-FT-01-card-' || c.id || '-' || c.state)`); n > 0 {
		fail("%d issued or spoiled cards have no outbox record", n)
	}
	if n := q(`SELECT count(*) FROM test_outbox o WHERE o.kind = 'issued' AND NOT EXISTS (SELECT 1 FROM cards c
		WHERE 'SZ-FT-01-card-' || c.id || '-issued' = o.key)`); n > 0 {
		fail("%d issued records without an issued card", n)
	}
	rep, err := audit.Verify(ctx, h.db)
	if err != nil || rep.Err() != nil {
		fail("audit: %v %v", err, rep.Err())
	}
	errs = append(errs, h.physicalErrors(ctx, rec, final)...)
	return errs
}

// physicalErrors compares the machine with the card records.
func (h *harness) physicalErrors(ctx context.Context, rec Reconciliation, final bool) []error {
	if h.m == nil {
		return nil
	}
	var errs []error
	st := h.m.state()
	// A card recorded as taken but still "fed" may not have left the feeder
	// yet when a job stopped mid-way. At the end none may be left.
	fed, unfed := int64(stockCards-st.Feeder), rec.Cards["fed"]
	if final {
		unfed = 0
	}
	if fed > rec.Taken || rec.Taken-fed > unfed {
		errs = append(errs, fmt.Errorf("%d cards left the feeder but %d were taken from stock (%d still fed)",
			fed, rec.Taken, rec.Cards["fed"]))
	}
	rows, err := h.db.QueryContext(ctx, `SELECT c.serial, c.permit_number, j.permit FROM cards c
		JOIN jobs j ON j.id = c.job_id WHERE c.state = 'issued'`)
	if err != nil {
		return append(errs, err)
	}
	defer rows.Close()
	hopper := map[string]fakeCard{}
	for _, c := range st.Hopper {
		hopper[c.Serial] = c
	}
	for rows.Next() {
		var serial, number, permitJSON string
		rows.Scan(&serial, &number, &permitJSON)
		c, ok := hopper[serial]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("issued card %s is not in the output hopper", serial))
		case !c.Printed || c.Chip == nil || c.Chip.Number != number:
			errs = append(errs, fmt.Errorf("issued card %s: printed %v, chip %+v", serial, c.Printed, c.Chip))
		}
	}
	if final && st.Station != nil {
		errs = append(errs, fmt.Errorf("a card is left in the printer: %+v", st.Station))
	}
	return errs
}
