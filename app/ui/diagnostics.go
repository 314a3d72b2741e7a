package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"permitdesk/app/diag"
	"permitdesk/app/operators"
)

// DiagnosticChecks runs the device, storage and link checks and counts
// jobs for the charts. *diag.Service satisfies it.
type DiagnosticChecks interface {
	Run(ctx context.Context, o diag.RunOptions) (diag.Report, error)
	Charts(ctx context.Context, req diag.ChartRequest) (diag.Charts, error)
}

// DiagnosticConsoles runs the technician's device tests and consoles. The
// service checks the role, requests confirmation and writes the audit log.
// *diag.Service satisfies it.
type DiagnosticConsoles interface {
	RunAction(ctx context.Context, sess *operators.Session, req diag.ActionRequest) (diag.Check, error)
	APDU(ctx context.Context, sess *operators.Session, req diag.APDURequest) (diag.APDUResult, error)
	PrinterCommand(ctx context.Context, sess *operators.Session,
		req diag.PrinterCommandRequest) (diag.PrinterCommandResult, error)
}

// SupportBundler writes the support bundle. *diag.Service satisfies it.
type SupportBundler interface {
	BundleToFile(ctx context.Context, path string, o diag.BundleOptions) (diag.BundleSummary, error)
}

// Diagnoser is everything the Diagnostics screen uses.
type Diagnoser interface {
	DiagnosticChecks
	DiagnosticConsoles
	SupportBundler
}

// DeviceHolder is a part of the window that keeps devices open between
// uses. *StationRunner and the rewrite desk's rewriter satisfy it.
type DeviceHolder interface {
	// Suspend releases the devices and keeps them released until the
	// returned function is called.
	Suspend() (func(), error)
}

// chartDays is the period of the Diagnostics screen's charts.
const chartDays = 30

// BundleDirName is the folder under the data directory that receives the
// support bundles saved from the window.
const BundleDirName = "bundles"

// DiagnosticsReport is one diagnostics run as the Diagnostics screen shows
// it.
type DiagnosticsReport struct {
	StartedAt string `json:"startedAt"`
	// Status is the worst status of any check: pass, warn, fail or skip.
	Status string            `json:"status"`
	Pass   int               `json:"pass"`
	Warn   int               `json:"warn"`
	Fail   int               `json:"fail"`
	Skip   int               `json:"skip"`
	Checks []DiagnosticCheck `json:"checks"`
}

// DiagnosticCheck is the result of one check or device test.
type DiagnosticCheck struct {
	ID string `json:"id"`
	// Code names the finding, such as printer.sensors.warn.card_inside;
	// the frontend keys its translations of Reason and Fix on it.
	Code   string `json:"code"`
	Device string `json:"device"`
	Status string `json:"status"`
	// Reason and Fix are in English, as the checks write them.
	Reason     string            `json:"reason"`
	Fix        string            `json:"fix"`
	Details    map[string]string `json:"details"`
	DurationMs int64             `json:"durationMs"`
}

// ChartData is the jobs and errors per day of each printer.
type ChartData struct {
	// From and To are the first and last local day, YYYY-MM-DD.
	From    string        `json:"from"`
	To      string        `json:"to"`
	Devices []DeviceChart `json:"devices"`
}

// DeviceChart is one device's days, oldest first, with no day missing.
type DeviceChart struct {
	Device string     `json:"device"`
	Days   []ChartDay `json:"days"`
}

// ChartDay counts the jobs created on one local day and the failures:
// spoiled cards, jobs stopped for an operator, and feeds that moved no card.
type ChartDay struct {
	Day    string `json:"day"`
	Jobs   int    `json:"jobs"`
	Errors int    `json:"errors"`
}

// DiagnosticActionRequest is a request for one device test.
type DiagnosticActionRequest struct {
	// Action is one of DiagnosticActions.
	Action string `json:"action"`
	// Confirm is set on the second request, after the operator agreed to a
	// test that uses or changes a card.
	Confirm bool `json:"confirm"`
	// TimeoutMs bounds the tests that wait for the operator; 0 means 15 s.
	TimeoutMs int64 `json:"timeoutMs"`
}

// APDUCommand is one command for the APDU console.
type APDUCommand struct {
	// Reader is encoder, desk_reader or psam; empty means encoder.
	Reader string `json:"reader"`
	// Hex is the command APDU in hexadecimal; spaces and colons are allowed.
	Hex string `json:"hex"`
	// Confirm is set on the second request, after the operator agreed to
	// a command that may change the card.
	Confirm bool `json:"confirm"`
	// Raw returns 61xx and 6Cxx as the card sent them.
	Raw bool `json:"raw"`
}

// APDUResponse is the card's response with the decoded status word.
type APDUResponse struct {
	Reader string `json:"reader"`
	// Command is the APDU as sent, in hexadecimal.
	Command string `json:"command"`
	// Data is the response data in hexadecimal.
	Data string `json:"data"`
	SW   string `json:"sw"`
	// Meaning is the status word decoded per ISO/IEC 7816-4, in English.
	Meaning string `json:"meaning"`
	// Changes reports whether the command may have changed the card.
	Changes    bool  `json:"changes"`
	DurationMs int64 `json:"durationMs"`
}

// PrinterCommand is one escape command for the printer console.
type PrinterCommand struct {
	// Command is written without ESC and CR, such as "Rco;l".
	Command string `json:"command"`
	// Confirm is set on the second request, after the operator agreed to
	// a command that is not a read.
	Confirm bool `json:"confirm"`
}

// PrinterReply is the printer's reply to a console command.
type PrinterReply struct {
	Command string `json:"command"`
	Reply   string `json:"reply"`
	// Error is the printer's error reply and Code its code; both are empty
	// on success.
	Error      string `json:"error"`
	Code       string `json:"code"`
	Changes    bool   `json:"changes"`
	DurationMs int64  `json:"durationMs"`
}

// SupportBundle is a support bundle written by SaveSupportBundle.
type SupportBundle struct {
	Path  string   `json:"path"`
	Bytes int64    `json:"bytes"`
	Files []string `json:"files"`
	// Status is the worst status of the diagnostics run inside the bundle.
	Status string `json:"status"`
}

// RunDiagnostics checks the devices named in devices (see
// diag.Devices), or every configured device, the storage and the central
// link when devices is empty. Any logged-in operator may run it.
func (a *App) RunDiagnostics(devices []string) (DiagnosticsReport, error) {
	if _, err := a.currentSession(); err != nil {
		return DiagnosticsReport{}, err
	}
	if a.opts.Diagnostics == nil {
		return DiagnosticsReport{}, errNoService("diagnostics")
	}
	for _, d := range devices {
		if !slices.Contains(diag.Devices, d) {
			return DiagnosticsReport{}, Errorf(CodeInvalidArgument, "unknown device %q: use one of %s", d,
				strings.Join(diag.Devices, ", "))
		}
	}
	if usesDevices(devices) {
		resume, err := a.holdDevices()
		if err != nil {
			return DiagnosticsReport{}, err
		}
		defer resume()
	}
	r, err := a.opts.Diagnostics.Run(a.context(), diag.RunOptions{Devices: devices})
	if err != nil {
		return DiagnosticsReport{}, toError(err)
	}
	out := DiagnosticsReport{StartedAt: r.StartedAt, Status: string(r.Status), Pass: r.Summary.Pass,
		Warn: r.Summary.Warn, Fail: r.Summary.Fail, Skip: r.Summary.Skip, Checks: []DiagnosticCheck{}}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, checkDTO(c))
	}
	a.log.Info("diagnostics run", "devices", devices, "status", r.Status, "fail", r.Summary.Fail,
		"warn", r.Summary.Warn)
	return out, nil
}

// usesDevices reports whether a run of devices (all when empty) talks to a
// device; the central and storage checks do not.
func usesDevices(devices []string) bool {
	return len(devices) == 0 || slices.ContainsFunc(devices, func(d string) bool {
		return d != "central" && d != "storage"
	})
}

// holdDevices makes every DeviceHolder release its devices until the
// returned function is called. It fails with CodeDeviceBusy while a card
// job or an address change uses them.
func (a *App) holdDevices() (func(), error) {
	var resumes []func()
	resumeAll := func() {
		for _, resume := range resumes {
			resume()
		}
	}
	for _, h := range a.opts.DeviceHolders {
		resume, err := h.Suspend()
		if err != nil {
			resumeAll()
			a.log.Warn("diagnostics rejected while the devices are in use", "err", err)
			return nil, toError(err)
		}
		resumes = append(resumes, resume)
	}
	return resumeAll, nil
}

func checkDTO(c diag.Check) DiagnosticCheck {
	details := c.Details
	if details == nil {
		details = map[string]string{}
	}
	return DiagnosticCheck{ID: c.ID, Code: c.Code, Device: c.Device, Status: string(c.Status), Reason: c.Reason,
		Fix: c.Fix, Details: details, DurationMs: c.DurationMs}
}

// DiagnosticsCharts returns the jobs and errors per day of each printer
// over the last 30 days, today included. Any logged-in operator may read
// it.
func (a *App) DiagnosticsCharts() (ChartData, error) {
	if _, err := a.currentSession(); err != nil {
		return ChartData{}, err
	}
	if a.opts.Diagnostics == nil {
		return ChartData{}, errNoService("diagnostics")
	}
	ch, err := a.opts.Diagnostics.Charts(a.context(), diag.ChartRequest{Days: chartDays})
	if err != nil {
		return ChartData{}, toError(err)
	}
	out := ChartData{From: ch.From, To: ch.To, Devices: []DeviceChart{}}
	for _, s := range ch.Devices {
		series := DeviceChart{Device: s.Device, Days: make([]ChartDay, len(s.Days))}
		for i, d := range s.Days {
			series.Days[i] = ChartDay{Day: d.Day, Jobs: d.Jobs, Errors: d.Errors}
		}
		out.Devices = append(out.Devices, series)
	}
	return out, nil
}

// DiagnosticActions lists the device tests RunDiagnosticAction accepts.
func (a *App) DiagnosticActions() []string {
	out := make([]string, len(diag.Actions))
	for i, act := range diag.Actions {
		out[i] = string(act)
	}
	return out
}

// RunDiagnosticAction runs one device test, such as the printer's test
// card. Only a technician may; a test that uses or changes a card fails
// with CodeConfirmRequired until it is sent again with Confirm set. The
// returned check carries the outcome.
func (a *App) RunDiagnosticAction(req DiagnosticActionRequest) (DiagnosticCheck, error) {
	sess, err := a.currentSession()
	if err != nil {
		return DiagnosticCheck{}, err
	}
	if a.opts.Diagnostics == nil {
		return DiagnosticCheck{}, errNoService("diagnostics")
	}
	if !slices.Contains(diag.Actions, diag.Action(req.Action)) {
		return DiagnosticCheck{}, Errorf(CodeInvalidArgument, "unknown device test %q: use one of %s", req.Action,
			strings.Join(a.DiagnosticActions(), ", "))
	}
	resume, err := a.holdDevices()
	if err != nil {
		return DiagnosticCheck{}, err
	}
	defer resume()
	c, err := a.opts.Diagnostics.RunAction(a.context(), sess, diag.ActionRequest{Action: diag.Action(req.Action),
		Confirm: req.Confirm, TimeoutMs: req.TimeoutMs})
	if err != nil {
		return DiagnosticCheck{}, toError(err)
	}
	return checkDTO(c), nil
}

// SendAPDU sends one command APDU from the console and returns the
// response with the decoded status word. Only a technician may; a command
// that may change the card fails with CodeConfirmRequired until it is sent
// again with Confirm set. The service records every use in the audit log.
func (a *App) SendAPDU(cmd APDUCommand) (APDUResponse, error) {
	sess, err := a.currentSession()
	if err != nil {
		return APDUResponse{}, err
	}
	if a.opts.Diagnostics == nil {
		return APDUResponse{}, errNoService("diagnostics")
	}
	resume, err := a.holdDevices()
	if err != nil {
		return APDUResponse{}, err
	}
	defer resume()
	res, err := a.opts.Diagnostics.APDU(a.context(), sess, diag.APDURequest{Device: cmd.Reader, Hex: cmd.Hex,
		Confirm: cmd.Confirm, Raw: cmd.Raw})
	if err != nil {
		return APDUResponse{}, toError(err)
	}
	return APDUResponse{Reader: res.Reader, Command: res.Command, Data: res.Data, SW: res.SW,
		Meaning: res.Meaning, Changes: res.Changes, DurationMs: res.DurationMs}, nil
}

// SendPrinterCommand sends one escape command to the card printer. Only a
// technician may; every command except the reads (R...) fails with
// CodeConfirmRequired until it is sent again with Confirm set. The service
// records every use in the audit log. A printer error reply is returned in
// the reply, not as an error.
func (a *App) SendPrinterCommand(cmd PrinterCommand) (PrinterReply, error) {
	sess, err := a.currentSession()
	if err != nil {
		return PrinterReply{}, err
	}
	if a.opts.Diagnostics == nil {
		return PrinterReply{}, errNoService("diagnostics")
	}
	resume, err := a.holdDevices()
	if err != nil {
		return PrinterReply{}, err
	}
	defer resume()
	res, err := a.opts.Diagnostics.PrinterCommand(a.context(), sess, diag.PrinterCommandRequest{
		Command: cmd.Command, Confirm: cmd.Confirm})
	if err != nil {
		return PrinterReply{}, toError(err)
	}
	return PrinterReply{Command: res.Command, Reply: res.Reply, Error: res.Error, Code: res.Code,
		Changes: res.Changes, DurationMs: res.DurationMs}, nil
}

// SaveSupportBundle writes a support bundle (redacted logs, configuration,
// device identities, recent job events, audit chain check) to a new zip
// file in the data directory's bundles folder and returns its path and
// size. Any logged-in operator may save one.
func (a *App) SaveSupportBundle() (SupportBundle, error) {
	if _, err := a.currentSession(); err != nil {
		return SupportBundle{}, err
	}
	if a.opts.Diagnostics == nil {
		return SupportBundle{}, errNoService("diagnostics")
	}

	dir := filepath.Join(a.opts.Config.DataDir, BundleDirName)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return SupportBundle{}, toError(fmt.Errorf("create bundle folder %s: %w", dir, err))
	}

	// The bundle includes a full diagnostics run.
	resume, err := a.holdDevices()
	if err != nil {
		return SupportBundle{}, err
	}
	defer resume()

	// Nanoseconds in the name keep two bundles saved in one second apart,
	// because BundleToFile never overwrites a file.
	name := "permitdesk-support-" + time.Now().UTC().Format("20060102T150405.000000000Z") + ".zip"
	path := filepath.Join(dir, name)
	sum, err := a.opts.Diagnostics.BundleToFile(a.context(), path, diag.BundleOptions{
		Version: a.opts.Build.Version})
	if err != nil {
		return SupportBundle{}, toError(err)
	}

	info, err := os.Stat(path)
	if err != nil {
		return SupportBundle{}, toError(fmt.Errorf("read the size of bundle %s: %w", path, err))
	}
	a.log.Info("support bundle saved", "path", path, "bytes", info.Size(), "files", len(sum.Files))
	return SupportBundle{Path: path, Bytes: info.Size(), Files: sum.Files, Status: string(sum.Report.Status)}, nil
}
