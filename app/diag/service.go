package diag

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/devices/evolis"
	"permitdesk/devices/hidio"
	"permitdesk/devices/rewriter"
)

// Options configure New. Only Config is required.
type Options struct {
	// Config is the workstation configuration whose devices are checked.
	Config config.Config
	// DB is the migrated workstation database, for the sync state, the
	// charts, the console audit records and the bundle. Nil skips those;
	// the storage checks open the file on their own either way.
	DB *sql.DB
	// PCSC reaches the smart-card readers; nil means SystemPCSC.
	PCSC PCSC
	// HID is the bus of the ID card reader and scanner; nil means hidio.USB.
	HID hidio.Bus
	// OpenPrinter returns the card printer and the function that releases
	// it; nil means evolis.Open on the configured port, released by Close.
	// The desktop application passes a function that lends its own open
	// printer with a release that leaves it open, so the diagnostics do not
	// compete with the issuance worker for the port. The check for a port
	// held by another program is then skipped, because the lender holds it.
	OpenPrinter func(ctx context.Context, o evolis.Options) (*evolis.Printer, func(), error)
	// OpenRewriter is OpenPrinter for the rewriter; nil means rewriter.Open.
	OpenRewriter func(o rewriter.Options) (*rewriter.Rewriter, func(), error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location cuts the chart days; nil means time.Local.
	Location *time.Location
	// Logger receives a line per run, action and console command; nil
	// discards them.
	Logger *slog.Logger

	// DeviceTimeout caps each serial device's reply timeout during checks;
	// 0 means 3s, so a silent device fails the check quickly.
	DeviceTimeout time.Duration
	// CardWait is how long the chip checks wait for a card; 0 means 500ms.
	CardWait time.Duration
	// RTTSamples is the number of timed round trips; 0 means 5.
	RTTSamples int
	// SlowAPDU is the median round trip above which a reader warns; 0
	// means 100ms, a margin chosen without measurements on physical readers.
	SlowAPDU time.Duration
	// PSAMSlots is the number of PSAM key indexes probed from 01; 0 means 4.
	PSAMSlots int
	// RibbonWarn is the number of panels left that warns; 0 means 50.
	RibbonWarn int
	// CentralTimeout bounds each request to the central system; 0 means
	// Config.Central.Timeout.
	CentralTimeout time.Duration
	// SlowCentral is the API latency that warns; 0 means 1s.
	SlowCentral time.Duration
	// CertWarn is how long before expiry a certificate warns; 0 means 30 days.
	CertWarn time.Duration
	// SkewWarn and SkewFail are the clock differences to the central system
	// that warn and fail; 0 means 2 minutes and 10 minutes.
	SkewWarn, SkewFail time.Duration
	// SyncStale is the age of the last successful sync that warns; 0 means
	// 1 hour.
	SyncStale time.Duration
	// WALWarn is the write-ahead log size that warns; 0 means 64 MB.
	WALWarn int64
	// BackupStale is the age of the newest backup that warns; 0 means 7 days.
	BackupStale time.Duration
}

func (o *Options) defaults() {
	o.PCSC = orDefault(o.PCSC, PCSC(SystemPCSC{}))
	o.HID = orDefault(o.HID, hidio.Bus(hidio.USB{}))
	if o.OpenPrinter == nil {
		o.OpenPrinter = openPrinter
	}
	if o.OpenRewriter == nil {
		o.OpenRewriter = openRewriter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = logging.Discard()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	o.DeviceTimeout = orDefault(o.DeviceTimeout, 3*time.Second)
	o.CardWait = orDefault(o.CardWait, 500*time.Millisecond)
	o.RTTSamples = orDefault(o.RTTSamples, 5)
	o.SlowAPDU = orDefault(o.SlowAPDU, 100*time.Millisecond)
	o.PSAMSlots = orDefault(o.PSAMSlots, 4)
	o.RibbonWarn = orDefault(o.RibbonWarn, 50)
	o.CentralTimeout = orDefault(o.CentralTimeout, o.Config.Central.Timeout.Duration)
	o.CentralTimeout = orDefault(o.CentralTimeout, 15*time.Second)
	o.SlowCentral = orDefault(o.SlowCentral, time.Second)
	o.CertWarn = orDefault(o.CertWarn, 30*24*time.Hour)
	o.SkewWarn = orDefault(o.SkewWarn, 2*time.Minute)
	o.SkewFail = orDefault(o.SkewFail, 10*time.Minute)
	o.SyncStale = orDefault(o.SyncStale, time.Hour)
	o.WALWarn = orDefault(o.WALWarn, 64<<20)
	o.BackupStale = orDefault(o.BackupStale, 7*24*time.Hour)
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// Service runs the checks, actions and consoles. Its methods are safe for
// concurrent use: runs, actions and console commands take turns at the
// devices, so two of them never interleave commands on one port.
type Service struct {
	opts Options
	log  *slog.Logger
	// lentPrinter and lentRewriter are set when the caller lends its own
	// open devices through Options.
	lentPrinter, lentRewriter bool

	devices sync.Mutex // held while a run, action or console command uses devices
}

// New returns a Service.
func New(o Options) *Service {
	lentPrinter, lentRewriter := o.OpenPrinter != nil, o.OpenRewriter != nil
	o.defaults()
	return &Service{opts: o, log: o.Logger.With("component", "diag"), lentPrinter: lentPrinter,
		lentRewriter: lentRewriter}
}

func openPrinter(ctx context.Context, o evolis.Options) (*evolis.Printer, func(), error) {
	p, err := evolis.Open(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	return p, func() { p.Close() }, nil
}

func openRewriter(o rewriter.Options) (*rewriter.Rewriter, func(), error) {
	rw, err := rewriter.Open(o)
	if err != nil {
		return nil, nil, err
	}
	return rw, func() { rw.Close() }, nil
}

// deviceTimeout returns the configured reply timeout capped at
// Options.DeviceTimeout.
func (s *Service) deviceTimeout(configured time.Duration) time.Duration {
	if configured <= 0 || configured > s.opts.DeviceTimeout {
		return s.opts.DeviceTimeout
	}
	return configured
}

// Devices are the names RunOptions.Devices accepts, in run order.
var Devices = []string{"pcscd", "encoder", "psam", "desk_reader", "printer", "rewriter", "idreader", "scanner",
	"central", "storage"}

// RunOptions select what Run checks.
type RunOptions struct {
	// Devices limits the run to these names (see Devices); empty runs all.
	Devices []string `json:"devices"`
	// FullIntegrity runs PRAGMA integrity_check instead of quick_check.
	FullIntegrity bool `json:"fullIntegrity"`
}

// Run runs the default checks. Checks never change a card, the printer's
// settings or stored data; the tests that do are run by RunAction. It
// returns an error only for an unknown device name.
func (s *Service) Run(ctx context.Context, o RunOptions) (Report, error) {
	for _, d := range o.Devices {
		if !slices.Contains(Devices, d) {
			return Report{}, fmt.Errorf("unknown device %q: use one of %s", d, strings.Join(Devices, ", "))
		}
	}
	want := func(d string) bool { return len(o.Devices) == 0 || slices.Contains(o.Devices, d) }
	s.devices.Lock()
	defer s.devices.Unlock()
	start := s.opts.Now()
	var checks []Check
	s.runPCSC(ctx, want, &checks)
	for _, step := range []struct {
		device string
		run    func() []Check
	}{
		{"printer", func() []Check { return s.checkPrinter(ctx) }},
		{"rewriter", func() []Check { return s.checkRewriter(ctx) }},
		{"idreader", func() []Check { return s.checkIDReader(ctx) }},
		{"scanner", s.checkScanner},
		{"central", func() []Check { return s.checkCentral(ctx) }},
		{"storage", func() []Check { return s.checkStorage(ctx, o.FullIntegrity) }},
	} {
		if want(step.device) {
			checks = append(checks, timed(step.run)...)
		}
	}
	r := newReport(s.opts.Config.StationID, start, checks)
	s.log.Info("diagnostics run", "status", r.Status, "pass", r.Summary.Pass, "warn", r.Summary.Warn,
		"fail", r.Summary.Fail, "skip", r.Summary.Skip)
	return r, nil
}

// runPCSC lists the readers once and checks each configured reader role.
func (s *Service) runPCSC(ctx context.Context, want func(string) bool, checks *[]Check) {
	roles := []readerRole{
		{"encoder", "devices.encoder.name", s.opts.Config.Devices.Encoder},
		{"psam", "devices.psam.name", s.opts.Config.Devices.PSAM},
		{"desk_reader", "devices.desk_reader.name", s.opts.Config.Devices.DeskReader},
	}
	needed := want("pcscd")
	for _, r := range roles {
		needed = needed || (want(r.device) && r.cfg.Name != "")
	}
	var readers []string
	var listErr error
	if needed {
		pcscd := timed(func() []Check {
			var c []Check
			c, readers, listErr = s.checkPCSCD(ctx)
			return c
		})
		if want("pcscd") {
			*checks = append(*checks, pcscd...)
		}
	}
	for _, r := range roles {
		if !want(r.device) {
			continue
		}
		if r.device == "desk_reader" && r.cfg.Name != "" && r.cfg.Name == s.opts.Config.Devices.Encoder.Name {
			*checks = append(*checks, sameReader(r)...)
			continue
		}
		*checks = append(*checks, timed(func() []Check { return s.checkReader(ctx, r, readers, listErr) })...)
	}
}

// sameReader reports a desk reader configured as the encoder's reader,
// whose checks the encoder's already cover.
func sameReader(r readerRole) []Check {
	l := checkList{device: r.device}
	l.skipRest(prefixed(r.device, cardCheckIDs), "same_reader",
		"same reader as devices.encoder.name; see the encoder checks")
	return l.checks
}

// timed runs fn and spreads its duration over the checks it returns.
func timed(fn func() []Check) []Check {
	start := time.Now()
	checks := fn()
	if len(checks) > 0 {
		per := time.Since(start).Milliseconds() / int64(len(checks))
		for i := range checks {
			checks[i].DurationMs = per
		}
	}
	return checks
}

// Action names an explicit test that Run never does, because it uses a
// card, changes one, or waits for the operator.
type Action string

// Actions.
const (
	ActionPrinterTestCard Action = "printer.test_card"   // feed a card, print the test pattern, eject it
	ActionRewriterErase   Action = "rewriter.erase_test" // erase the strip of the card at the inlet
	ActionIDReaderRead    Action = "idreader.test_read"  // read the ID card on the reader
	ActionScannerScan     Action = "scanner.test_scan"   // wait for one barcode scan
)

// Actions lists every action.
var Actions = []Action{ActionPrinterTestCard, ActionRewriterErase, ActionIDReaderRead, ActionScannerScan}

// ActionRequest is a request for one action.
type ActionRequest struct {
	Action Action `json:"action"`
	// Confirm must be true for actions that use or change a card
	// (printer.test_card, rewriter.erase_test).
	Confirm bool `json:"confirm"`
	// TimeoutMs bounds actions that wait for the operator; 0 means 15 s.
	TimeoutMs int64 `json:"timeoutMs"`
}

// RunAction runs one action for a technician or supervisor and records it
// in the audit log. The check it returns carries the outcome; the error is
// for a refused request.
func (s *Service) RunAction(ctx context.Context, sess *operators.Session, req ActionRequest) (Check, error) {
	if !slices.Contains(Actions, req.Action) {
		return Check{}, fmt.Errorf("unknown action %q: use one of %s", req.Action, joinActions())
	}
	changes := req.Action == ActionPrinterTestCard || req.Action == ActionRewriterErase
	u := consoleUse{console: "action", device: strings.SplitN(string(req.Action), ".", 2)[0],
		command: string(req.Action), changes: changes, confirmed: req.Confirm}
	if err := s.admit(ctx, sess, &u); err != nil {
		return Check{}, err
	}
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	start := time.Now()
	s.devices.Lock()
	c := s.runAction(ctx, req.Action, timeout)
	s.devices.Unlock()
	c.DurationMs = time.Since(start).Milliseconds()
	u.result = string(c.Status)
	return c, s.record(ctx, sess, u)
}

func (s *Service) runAction(ctx context.Context, a Action, timeout time.Duration) Check {
	switch a {
	case ActionPrinterTestCard:
		return s.printTestCard(ctx)
	case ActionRewriterErase:
		return s.eraseTest(ctx)
	case ActionIDReaderRead:
		return s.testRead(ctx, timeout)
	}
	return s.testScan(ctx, timeout)
}

func joinActions() string {
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}
