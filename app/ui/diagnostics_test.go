package ui

import (
	"archive/zip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/diag"
	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/devices"
	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	evolissim "permitdesk/devices/sim/evolis"
	rewritersim "permitdesk/devices/sim/rewriter"
)

// diagFixture is an App over a real database, real operators and the real
// diagnostics service, with a technician "tech1" and a clerk "clerk1".
type diagFixture struct {
	app   *App
	db    *sql.DB
	cfg   config.Config
	iss   *issuance.Service
	clerk *operators.Session
}

func newDiagFixture(t *testing.T, cfg config.Config) *diagFixture {
	t.Helper()
	ctx := context.Background()
	cfg.DataDir = t.TempDir()
	db, err := store.OpenMigrated(ctx, cfg.DataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ops := operators.New(db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	if _, err := ops.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "主管", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	boss, err := ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []operators.NewOperator{
		{Login: "tech1", Name: "王工", Role: operators.Technician, Password: "technician-pw"},
		{Login: "clerk1", Name: "李四", Role: operators.Clerk, Password: "clerk-password"},
	} {
		if _, err := ops.Add(ctx, boss, op); err != nil {
			t.Fatal(err)
		}
	}
	iss := issuance.New(db, issuance.Options{StationID: "SZ-FT-001", Operators: ops, Outbox: discardOutbox{},
		Applications: fixedApplications{"A1": testApplication("A1"), "A2": testApplication("A2")}})
	if _, err := iss.ReceiveLot(ctx, boss, "LOT-2026-001", 10); err != nil {
		t.Fatal(err)
	}
	clerk, err := ops.Login(ctx, "clerk1", "clerk-password")
	if err != nil {
		t.Fatal(err)
	}
	// The window reaches the service through the live Diagnoser, which
	// devices assigned in the Settings screen replace.
	live := &liveDiagnoser{}
	live.set(diag.New(diag.Options{Config: cfg, DB: db}))
	app := NewApp(Options{Build: BuildInfo{Version: "1.2.3"}, Config: cfg, Operators: ops, Issuance: iss,
		Diagnostics: live})
	app.startup(ctx, (&recorder{}).emit)
	return &diagFixture{app: app, db: db, cfg: cfg, iss: iss, clerk: clerk}
}

func (f *diagFixture) login(t *testing.T, login, password string) {
	t.Helper()
	if _, err := f.app.Login(login, password); err != nil {
		t.Fatal(err)
	}
}

// startPrinterSim runs the printer emulator on a pseudo-terminal and
// configures it as the station's printer.
func startPrinterSim(t *testing.T, cfg *config.Config) *evolissim.Sim {
	t.Helper()
	sim, err := evolissim.New(evolissim.Options{Link: filepath.Join(t.TempDir(), "printer")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sim.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	cfg.Devices.Printer.Port = sim.Path()
	return sim
}

// TestRunDiagnosticsStorage runs the real diagnostics on a station with no
// devices: the storage checks run against the real database.
func TestRunDiagnosticsStorage(t *testing.T) {
	f := newDiagFixture(t, config.Default())
	if _, err := f.app.RunDiagnostics(nil); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("RunDiagnostics without login = %v, want code %q", err, CodeNotLoggedIn)
	}
	f.login(t, "clerk1", "clerk-password")
	r, err := f.app.RunDiagnostics(nil)
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
		if !strings.HasPrefix(c.Code, c.ID+"."+c.Status) {
			t.Errorf("check %s: code %q does not start with the id and status", c.ID, c.Code)
		}
	}
	if storage == 0 {
		t.Error("no storage check in the report")
	}
}

func TestRunDiagnosticsDeviceFilter(t *testing.T) {
	cfg := config.Default()
	startPrinterSim(t, &cfg)
	f := newDiagFixture(t, cfg)
	f.login(t, "clerk1", "clerk-password")

	r, err := f.app.RunDiagnostics([]string{"printer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 6 {
		t.Errorf("%d checks for the printer, want its 6", len(r.Checks))
	}
	for _, c := range r.Checks {
		if c.Device != "printer" {
			t.Errorf("check %s of device %s in a printer-only run", c.ID, c.Device)
		}
		if c.Status != "pass" {
			t.Errorf("%s on the emulated printer: %s %q", c.ID, c.Status, c.Reason)
		}
	}
	if r.Status != "pass" || r.Pass != len(r.Checks) {
		t.Errorf("report status %s with %d passes, want pass for all %d", r.Status, r.Pass, len(r.Checks))
	}

	if _, err := f.app.RunDiagnostics([]string{"toaster"}); errorCode(err) != CodeInvalidArgument {
		t.Errorf("unknown device: %v, want code %q", err, CodeInvalidArgument)
	}
}

// TestConsolesNeedTechnician sends console commands and a device test as a
// clerk and without a session; the service rejects them before any device
// is used.
func TestConsolesNeedTechnician(t *testing.T) {
	cfg := config.Default()
	sim := startPrinterSim(t, &cfg)
	f := newDiagFixture(t, cfg)

	calls := map[string]func() error{
		"SendAPDU": func() error {
			_, err := f.app.SendAPDU(APDUCommand{Hex: "00A4000002 3F00"})
			return err
		},
		"SendPrinterCommand": func() error {
			_, err := f.app.SendPrinterCommand(PrinterCommand{Command: "Rco;l"})
			return err
		},
		"RunDiagnosticAction": func() error {
			_, err := f.app.RunDiagnosticAction(DiagnosticActionRequest{Action: "printer.test_card", Confirm: true})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); errorCode(err) != CodeNotLoggedIn {
			t.Errorf("%s without login: %v, want code %q", name, err, CodeNotLoggedIn)
		}
	}
	f.login(t, "clerk1", "clerk-password")
	for name, call := range calls {
		if err := call(); errorCode(err) != CodeForbidden {
			t.Errorf("%s as a clerk: %v, want code %q", name, err, CodeForbidden)
		}
	}
	if inserted, _, _, _ := sim.Counters(); inserted != 0 {
		t.Errorf("%d cards fed by rejected requests", inserted)
	}
	var rejected int
	err := f.db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'console.command'
		AND detail LIKE '%rejected%'`).Scan(&rejected)
	if err != nil {
		t.Fatal(err)
	}
	if rejected != len(calls) {
		t.Errorf("%d rejections in the audit log, want %d (one per call as a clerk)", rejected, len(calls))
	}
}

func TestPrinterConsoleConfirmation(t *testing.T) {
	cfg := config.Default()
	startPrinterSim(t, &cfg)
	f := newDiagFixture(t, cfg)
	f.login(t, "tech1", "technician-pw")

	res, err := f.app.SendPrinterCommand(PrinterCommand{Command: "Rco;l"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reply != "1000" || res.Changes {
		t.Errorf("Rco;l: reply %q changes %v, want 1000 and no change", res.Reply, res.Changes)
	}
	if _, err := f.app.SendPrinterCommand(PrinterCommand{Command: "Pc;k;=;12"}); errorCode(err) != CodeConfirmRequired {
		t.Errorf("unconfirmed Pc: %v, want code %q", err, CodeConfirmRequired)
	}
	res, err = f.app.SendPrinterCommand(PrinterCommand{Command: "Pc;k;=;12", Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reply != "OK" || !res.Changes {
		t.Errorf("confirmed Pc: reply %q changes %v, want OK and a change", res.Reply, res.Changes)
	}
	if _, err := f.app.SendAPDU(APDUCommand{Hex: "00 D6 00 00 02 AA BB"}); errorCode(err) != CodeConfirmRequired {
		t.Errorf("unconfirmed UPDATE BINARY: %v, want code %q", err, CodeConfirmRequired)
	}
	if _, err := f.app.SendAPDU(APDUCommand{Hex: "00 A4 zz"}); errorCode(err) != CodeInvalidArgument {
		t.Errorf("malformed APDU: %v, want code %q", err, CodeInvalidArgument)
	}
	if _, err := f.app.RunDiagnosticAction(DiagnosticActionRequest{Action: "printer.test_card"}); errorCode(err) != CodeConfirmRequired {
		t.Errorf("unconfirmed test card: %v, want code %q", err, CodeConfirmRequired)
	}
	if _, err := f.app.RunDiagnosticAction(DiagnosticActionRequest{Action: "printer.explode"}); errorCode(err) != CodeInvalidArgument {
		t.Errorf("unknown device test: %v, want code %q", err, CodeInvalidArgument)
	}
}

func TestRunDiagnosticActionTestCard(t *testing.T) {
	cfg := config.Default()
	sim := startPrinterSim(t, &cfg)
	f := newDiagFixture(t, cfg)
	f.login(t, "tech1", "technician-pw")

	c, err := f.app.RunDiagnosticAction(DiagnosticActionRequest{Action: "printer.test_card", Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != "pass" || c.Code != "printer.test_card.pass" {
		t.Errorf("test card: %s %s %q, want a pass", c.Status, c.Code, c.Reason)
	}
	if n := len(sim.Printed()); n != 1 {
		t.Errorf("%d cards printed, want the test card", n)
	}
	if got := f.app.DiagnosticActions(); !slices.Contains(got, "printer.test_card") || len(got) != len(diag.Actions) {
		t.Errorf("DiagnosticActions = %v, want every diag action", got)
	}
}

// TestDiagnosticsChartsFromJobs queues real jobs and counts them in the
// charts. The queue leaves a job's printer empty until a worker claims it,
// so the jobs are under the device "", and the configured printer has its
// own empty series.
func TestDiagnosticsChartsFromJobs(t *testing.T) {
	cfg := config.Default()
	cfg.Devices.Printer.Port = "/dev/ttyUSB0"
	f := newDiagFixture(t, cfg)
	ctx := context.Background()
	if _, err := f.app.DiagnosticsCharts(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("charts without login: %v, want code %q", err, CodeNotLoggedIn)
	}
	j1, err := f.iss.Enqueue(ctx, f.clerk, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.iss.Enqueue(ctx, f.clerk, "A2"); err != nil {
		t.Fatal(err)
	}
	// A failure event as the worker writes it when a feed moves no card.
	if _, err := f.db.Exec(`INSERT INTO job_events (job_id, from_state, to_state, detail, at)
		VALUES (?, 'queued', 'queued', '{"step":"not fed"}', ?)`, j1.ID,
		time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")); err != nil {
		t.Fatal(err)
	}
	f.login(t, "clerk1", "clerk-password")

	ch, err := f.app.DiagnosticsCharts()
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().Format(time.DateOnly)
	first := time.Now().AddDate(0, 0, -(chartDays - 1)).Format(time.DateOnly)
	if ch.From != first || ch.To != today {
		t.Errorf("period %s to %s, want %s to %s", ch.From, ch.To, first, today)
	}
	var names []string
	for _, s := range ch.Devices {
		names = append(names, s.Device)
		if len(s.Days) != chartDays {
			t.Errorf("device %q: %d days, want %d", s.Device, len(s.Days), chartDays)
			continue
		}
		if s.Days[0].Day != first || s.Days[chartDays-1].Day != today {
			t.Errorf("device %q: days %s to %s, want %s to %s", s.Device, s.Days[0].Day,
				s.Days[chartDays-1].Day, first, today)
		}
		jobs, errs := 0, 0
		for _, d := range s.Days {
			jobs += d.Jobs
			errs += d.Errors
		}
		want := [2]int{0, 0}
		if s.Device == "" {
			want = [2]int{2, 1}
			if last := s.Days[chartDays-1]; last.Jobs != 2 || last.Errors != 1 {
				t.Errorf("unassigned jobs today: %+v, want 2 jobs and 1 error", last)
			}
		}
		if got := [2]int{jobs, errs}; got != want {
			t.Errorf("device %q: %d jobs and %d errors in the period, want %v", s.Device, jobs, errs, want)
		}
	}
	if !slices.Equal(names, []string{"", "printer"}) {
		t.Errorf("chart devices %q, want the unassigned jobs and the configured printer", names)
	}
}

func TestSaveSupportBundle(t *testing.T) {
	f := newDiagFixture(t, config.Default())
	if _, err := f.app.SaveSupportBundle(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("bundle without login: %v, want code %q", err, CodeNotLoggedIn)
	}
	f.login(t, "tech1", "technician-pw")

	b, err := f.app.SaveSupportBundle()
	if err != nil {
		t.Fatal(err)
	}
	if dir := filepath.Join(f.cfg.DataDir, BundleDirName); filepath.Dir(b.Path) != dir {
		t.Errorf("bundle at %s, want it in %s", b.Path, dir)
	}
	info, err := os.Stat(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != b.Bytes || b.Bytes == 0 {
		t.Errorf("reported %d bytes, file has %d", b.Bytes, info.Size())
	}
	zr, err := zip.OpenReader(b.Path)
	if err != nil {
		t.Fatalf("bundle is not a zip archive: %v", err)
	}
	defer zr.Close()
	var inZip []string
	for _, file := range zr.File {
		inZip = append(inZip, file.Name)
	}
	for _, want := range []string{"manifest.json", "report.json", "config.toml", "audit_verify.json"} {
		if !slices.Contains(inZip, want) {
			t.Errorf("bundle lacks %s: %v", want, inZip)
		}
		if !slices.Contains(b.Files, want) {
			t.Errorf("returned file list lacks %s: %v", want, b.Files)
		}
	}

	again, err := f.app.SaveSupportBundle()
	if err != nil {
		t.Fatalf("second bundle: %v", err)
	}
	if again.Path == b.Path {
		t.Errorf("second bundle overwrote %s", b.Path)
	}
}

// blockingRunner runs a job until release is closed.
type blockingRunner struct {
	started, release chan struct{}
}

func (b blockingRunner) RunJob(context.Context, int64, string) (*issuance.Job, error) {
	close(b.started)
	<-b.release
	return &issuance.Job{State: issuance.AwaitingHandover}, nil
}

func (b blockingRunner) Resolve(context.Context, *operators.Session, int64, issuance.Choice, string,
	string) (*issuance.Job, error) {
	return nil, errors.New("not used")
}

// TestDiagnosticsSuspendJobRunner checks that a diagnostics run closes the
// job runner's idle devices and keeps jobs off them until it ends.
func TestDiagnosticsSuspendJobRunner(t *testing.T) {
	cfg := config.Default()
	startPrinterSim(t, &cfg)
	f := newDiagFixture(t, cfg)
	o := &countingOpener{}
	runner := NewStationRunner(o.open, time.Hour, logging.Discard())
	f.app.opts.DeviceHolders = []DeviceHolder{runner}
	f.login(t, "clerk1", "clerk-password")
	ctx := context.Background()

	if _, err := runner.RunJob(ctx, 1, "clerk1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.RunDiagnostics([]string{"printer"}); err != nil {
		t.Fatal(err)
	}
	if opens, closes := o.counts(); opens != 1 || closes != 1 {
		t.Errorf("after a printer run: %d opens, %d closes; want the idle devices closed once", opens, closes)
	}
	if _, err := f.app.RunDiagnostics([]string{"storage"}); err != nil {
		t.Fatal(err)
	}

	resume, err := runner.Suspend()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.RunJob(ctx, 2, "clerk1"); !errors.Is(err, devices.ErrBusy) {
		t.Errorf("job while suspended: %v, want devices.ErrBusy", err)
	}
	resume()
	resume()
	if _, err := runner.RunJob(ctx, 3, "clerk1"); err != nil {
		t.Errorf("job after resume: %v", err)
	}
	if opens, _ := o.counts(); opens != 2 {
		t.Errorf("%d opens, want the devices opened again for the job after resume", opens)
	}
}

func TestDiagnosticsWaitForRunningJob(t *testing.T) {
	f := newDiagFixture(t, config.Default())
	job := blockingRunner{started: make(chan struct{}), release: make(chan struct{})}
	runner := NewStationRunner(func(context.Context) (JobRunner, func(), error) {
		return job, func() {}, nil
	}, time.Hour, logging.Discard())
	f.app.opts.DeviceHolders = []DeviceHolder{runner}
	f.login(t, "tech1", "technician-pw")

	done := make(chan error, 1)
	go func() {
		_, err := runner.RunJob(context.Background(), 1, "clerk1")
		done <- err
	}()
	<-job.started
	if _, err := f.app.RunDiagnostics(nil); errorCode(err) != CodeDeviceBusy {
		t.Errorf("run during a job: %v, want code %q", err, CodeDeviceBusy)
	}
	if _, err := f.app.SendPrinterCommand(PrinterCommand{Command: "Rco;l"}); errorCode(err) != CodeDeviceBusy {
		t.Errorf("printer command during a job: %v, want code %q", err, CodeDeviceBusy)
	}
	if _, err := f.app.RunDiagnostics([]string{"storage"}); err != nil {
		t.Errorf("storage run during a job: %v, want it to run", err)
	}
	close(job.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.RunDiagnostics([]string{"printer"}); err != nil {
		t.Errorf("run after the job: %v", err)
	}
}

// TestDiagnosticsSuspendRewriteDesk checks that the rewriter checks pass
// right after an address change used the port, which the rewrite desk
// keeps open for its idle time.
func TestDiagnosticsSuspendRewriteDesk(t *testing.T) {
	cfg := config.Default()
	sim, err := rewritersim.New(rewritersim.Options{Link: filepath.Join(t.TempDir(), "rewriter"), CardInserted: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	cfg.Devices.Rewriter.Port = sim.Path()
	strip := &onDemandRewriter{idle: time.Hour, opts: rewriter.Options{
		Port: serialport.Options{Path: sim.Path(), Baud: 38400}, Timeout: 2 * time.Second}}
	t.Cleanup(strip.Close)
	f := newDiagFixture(t, cfg)
	f.login(t, "tech1", "technician-pw")

	if _, err := strip.Status(ctx); err != nil {
		t.Fatal(err)
	}
	withDeskOpen, err := f.app.RunDiagnostics([]string{"rewriter"})
	if err != nil {
		t.Fatal(err)
	}
	if c := findCheck(withDeskOpen, "rewriter.port"); c.Code != "rewriter.port.fail.held" {
		t.Fatalf("without suspending the desk: rewriter.port %s %q, want it held by the open port",
			c.Code, c.Reason)
	}

	f.app.opts.DeviceHolders = []DeviceHolder{strip}
	r, err := f.app.RunDiagnostics([]string{"rewriter"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks {
		if c.Status != "pass" {
			t.Errorf("%s after suspending the desk: %s %q", c.ID, c.Status, c.Reason)
		}
	}
	if _, err := strip.Status(ctx); err != nil {
		t.Errorf("address change after the diagnostics: %v", err)
	}
}

func findCheck(r DiagnosticsReport, id string) DiagnosticCheck {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return DiagnosticCheck{}
}
