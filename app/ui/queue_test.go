package ui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/permit"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
)

type fixedApplications map[string]permit.Application

func (f fixedApplications) Application(_ context.Context, id string) (permit.Application, error) {
	a, ok := f[id]
	if !ok {
		return permit.Application{}, fmt.Errorf("application %q not found", id)
	}
	return a, nil
}

func (f fixedApplications) ApplicationsByIDNumber(_ context.Context, idNumber string) ([]permit.Application, error) {
	var out []permit.Application
	for _, a := range f {
		if a.Holder.IDNumber == idNumber {
			out = append(out, a)
		}
	}
	return out, nil
}

type discardOutbox struct{}

func (discardOutbox) Enqueue(context.Context, *sql.Tx, issuance.Record) error { return nil }

func testApplication(id string) permit.Application {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	return permit.Application{
		ID: id, StationID: "SZ-FT-001", PermitNumber: "44030" + id, Authority: "深圳市公安局福田分局",
		Holder: permit.Holder{Name: "张三", Sex: permit.Male, Ethnicity: "汉", IDNumber: "110101199003074514",
			BirthDate: day(1990, 3, 7), HukouAddress: "北京市东城区"},
		Address: permit.Address{HouseCode: "4403040010010100001", District: "福田区", Street: "华富街道",
			Community: "莲花一村社区", Detail: "彩田路1号1栋101"},
		ApprovedAt: day(2026, 2, 1), ValidFrom: day(2026, 3, 1), ValidTo: day(2027, 3, 1),
	}
}

type queueFixture struct {
	app   *App
	rec   *recorder
	ops   *operators.Service
	iss   *issuance.Service
	clerk *operators.Session
}

// newQueueFixture builds real operator and issuance services over a fresh
// database with a supervisor "boss", a clerk "clerk1" and one card lot.
func newQueueFixture(t *testing.T) *queueFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMigrated(ctx, t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cheap := operators.HashParams{Memory: 1024, Time: 1, Threads: 1}
	ops := operators.New(db, operators.Options{Hash: cheap})
	iss := issuance.New(db, issuance.Options{StationID: "SZ-FT-001", Operators: ops, Outbox: discardOutbox{},
		Applications: fixedApplications{"A1": testApplication("A1")}})

	if _, err := ops.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "主管", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	boss, err := ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Add(ctx, boss, operators.NewOperator{Login: "clerk1", Name: "李四", Role: operators.Clerk,
		Password: "clerk-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.ReceiveLot(ctx, boss, "LOT-2026-001", 10); err != nil {
		t.Fatal(err)
	}
	clerk, err := ops.Login(ctx, "clerk1", "clerk-password")
	if err != nil {
		t.Fatal(err)
	}

	app := NewApp(Options{Config: config.Default(), Operators: ops, Issuance: iss,
		Applications: fixedApplications{"A1": testApplication("A1")}})
	rec := &recorder{}
	app.startup(ctx, rec.emit)
	return &queueFixture{app: app, rec: rec, ops: ops, iss: iss, clerk: clerk}
}

func errorCode(err error) string {
	var ue *Error
	if errors.As(err, &ue) {
		return ue.Code
	}
	return ""
}

func TestLoginWrongPassword(t *testing.T) {
	f := newQueueFixture(t)
	_, err := f.app.Login("clerk1", "not-the-password")
	if got := errorCode(err); got != CodeBadCredentials {
		t.Errorf("code = %q (%v), want %q", got, err, CodeBadCredentials)
	}
	if f.app.StatusSnapshot().Operator.LoggedIn {
		t.Error("operator logged in after a wrong password")
	}
}

func TestLoginShowsOperator(t *testing.T) {
	f := newQueueFixture(t)
	op, err := f.app.Login("clerk1", "clerk-password")
	if err != nil {
		t.Fatal(err)
	}
	want := OperatorStatus{LoggedIn: true, Login: "clerk1", Name: "李四", Role: "clerk"}
	if op != want {
		t.Errorf("Login = %+v, want %+v", op, want)
	}
	if got := f.app.StatusSnapshot().Operator; got != want {
		t.Errorf("status operator = %+v, want %+v", got, want)
	}
	events := f.rec.list()
	if len(events) != 1 || events[0].name != EventStatusChanged {
		t.Fatalf("events = %+v, want one %s", events, EventStatusChanged)
	}

	if err := f.app.Logout(); err != nil {
		t.Fatal(err)
	}
	if f.app.StatusSnapshot().Operator.LoggedIn {
		t.Error("operator still logged in after Logout")
	}
	if _, err := f.app.Jobs(JobFilter{}); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("Jobs after logout = %v, want code %q", err, CodeNotLoggedIn)
	}
}

func TestJobsListsQueuedJob(t *testing.T) {
	f := newQueueFixture(t)
	j, err := f.iss.Enqueue(context.Background(), f.clerk, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	jobs, err := f.app.Jobs(JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	got := jobs[0]
	if got.ID != j.ID || got.ApplicationID != "A1" || got.State != "queued" || got.PermitNumber != "44030A1" {
		t.Errorf("job = %+v", got)
	}
	if !slices.Equal(got.Choices, []string{"void"}) {
		t.Errorf("choices = %v, want [void]", got.Choices)
	}

	none, err := f.app.Jobs(JobFilter{States: []string{"spoiled"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(none) != 0 {
		t.Errorf("filter spoiled returned %d jobs, want 0", len(none))
	}
}

func TestVoidJobNeedsSupervisor(t *testing.T) {
	f := newQueueFixture(t)
	j, err := f.iss.Enqueue(context.Background(), f.clerk, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}

	_, err = f.app.VoidJob(j.ID, "applicant withdrew", SupervisorApproval{Login: "boss", Password: "wrong"})
	if got := errorCode(err); got != CodeBadCredentials {
		t.Errorf("void with a wrong supervisor password: code %q (%v), want %q", got, err, CodeBadCredentials)
	}
	_, err = f.app.VoidJob(j.ID, "applicant withdrew", SupervisorApproval{Login: "clerk1", Password: "clerk-password"})
	if got := errorCode(err); got != CodeForbidden {
		t.Errorf("void approved by a clerk: code %q (%v), want %q", got, err, CodeForbidden)
	}
	if stored, _ := f.iss.Job(context.Background(), j.ID); stored.State != issuance.Queued {
		t.Fatalf("job is %s after refused voids, want queued", stored.State)
	}

	v, err := f.app.VoidJob(j.ID, "applicant withdrew", SupervisorApproval{Login: "boss", Password: "supervisor-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if v.State != "voided" {
		t.Errorf("state = %q, want voided", v.State)
	}
}

func TestVoidJobRequiresReason(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	_, err := f.app.VoidJob(1, "", SupervisorApproval{Login: "boss", Password: "supervisor-pw"})
	if got := errorCode(err); got != CodeInvalidArgument {
		t.Errorf("code = %q, want %q", got, CodeInvalidArgument)
	}
}

func TestCardStockSupervisorOnly(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.CardStock(); errorCode(err) != CodeForbidden {
		t.Errorf("CardStock as clerk = %v, want code %q", err, CodeForbidden)
	}
	if _, err := f.app.Login("boss", "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.ReceiveCardLot("LOT-2026-002", 0); errorCode(err) != CodeInvalidArgument {
		t.Errorf("ReceiveCardLot with count 0 = %v, want code %q", err, CodeInvalidArgument)
	}
	if _, err := f.app.ReceiveCardLot("LOT-2026-002", 250); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		number string
		count  int64
	}{
		{"negative count", "LOT-2026-003", -3},
		{"count above max", "LOT-2026-003", issuance.MaxLotSize + 1},
		{"blank number", "  ", 10},
		{"number too long", strings.Repeat("L", 300), 10},
		{"invalid character", "LOT 3", 10},
		{"duplicate number", "LOT-2026-002", 10},
	} {
		_, err := f.app.ReceiveCardLot(tc.number, tc.count)
		if got := errorCode(err); got != CodeInvalidArgument {
			t.Errorf("ReceiveCardLot with %s: code %q (%v), want %q", tc.name, got, err, CodeInvalidArgument)
		}
		if err != nil && strings.Contains(err.Error(), "stock adjust") {
			t.Errorf("ReceiveCardLot with %s: message %q names a CLI command", tc.name, err)
		}
	}
	lots, err := f.app.CardStock()
	if err != nil {
		t.Fatal(err)
	}
	onHand := map[string]int64{}
	for _, l := range lots {
		onHand[l.Number] = l.OnHand
	}
	if onHand["LOT-2026-001"] != 10 || onHand["LOT-2026-002"] != 250 {
		t.Errorf("on hand = %v, want LOT-2026-001:10 LOT-2026-002:250", onHand)
	}
}

type countingScanner struct{ scans int }

func (c *countingScanner) Scan(context.Context) { c.scans++ }

func TestCheckDevicesScans(t *testing.T) {
	scanner := &countingScanner{}
	app := NewApp(Options{Config: config.Default(), Scanner: scanner})
	rec := &recorder{}
	app.startup(context.Background(), rec.emit)
	st := app.CheckDevices()
	if scanner.scans != 1 {
		t.Errorf("%d scans, want 1", scanner.scans)
	}
	if len(st.Devices) != 7 {
		t.Errorf("%d devices, want 7", len(st.Devices))
	}
	if events := rec.list(); len(events) != 1 || events[0].name != EventStatusChanged {
		t.Errorf("events = %+v, want one %s", events, EventStatusChanged)
	}
}

func TestSyncNowOfflineOnly(t *testing.T) {
	f := newQueueFixture(t)
	svc, err := appsync.New(appsync.Options{DB: f.iss.DB(), StationID: "SZ-FT-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.app.opts.Syncer = svc
	if _, err := f.app.SyncNow(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("SyncNow without login = %v, want code %q", err, CodeNotLoggedIn)
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	_, err = f.app.SyncNow()
	if got := errorCode(err); got != CodeOffline {
		t.Errorf("SyncNow with no central URL = %v (code %q), want code %q", err, got, CodeOffline)
	}
}
