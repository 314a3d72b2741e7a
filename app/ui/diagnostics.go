package ui

import (
	"context"

	"permitdesk/app/diag"
)

// Diagnoser runs the device, storage and link checks. *diag.Service
// satisfies it.
type Diagnoser interface {
	Run(ctx context.Context, o diag.RunOptions) (diag.Report, error)
}

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

// DiagnosticCheck is the result of one check.
type DiagnosticCheck struct {
	ID     string `json:"id"`
	Device string `json:"device"`
	Status string `json:"status"`
	// Reason and Fix are in English, as the checks write them.
	Reason     string            `json:"reason"`
	Fix        string            `json:"fix"`
	Details    map[string]string `json:"details"`
	DurationMs int64             `json:"durationMs"`
}

// RunDiagnostics checks every configured device, the storage and the
// central link. Any logged-in operator may run it.
func (a *App) RunDiagnostics() (DiagnosticsReport, error) {
	if _, err := a.currentSession(); err != nil {
		return DiagnosticsReport{}, err
	}
	if a.opts.Diagnostics == nil {
		return DiagnosticsReport{}, errNoService("diagnostics")
	}
	r, err := a.opts.Diagnostics.Run(a.context(), diag.RunOptions{})
	if err != nil {
		return DiagnosticsReport{}, toError(err)
	}
	out := DiagnosticsReport{StartedAt: r.StartedAt, Status: string(r.Status), Pass: r.Summary.Pass,
		Warn: r.Summary.Warn, Fail: r.Summary.Fail, Skip: r.Summary.Skip, Checks: []DiagnosticCheck{}}
	for _, c := range r.Checks {
		details := c.Details
		if details == nil {
			details = map[string]string{}
		}
		out.Checks = append(out.Checks, DiagnosticCheck{ID: c.ID, Device: c.Device, Status: string(c.Status),
			Reason: c.Reason, Fix: c.Fix, Details: details, DurationMs: c.DurationMs})
	}
	a.log.Info("diagnostics run", "status", r.Status, "fail", r.Summary.Fail, "warn", r.Summary.Warn)
	return out, nil
}
