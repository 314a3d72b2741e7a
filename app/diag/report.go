package diag

import (
	"fmt"
	"time"
)

// Schema is the version of the JSON report. It changes only when a field is
// removed or changes meaning; new fields and new check ids keep the version.
const Schema = 1

// Status is the outcome of one check.
type Status string

// Check outcomes. Only StatusFail makes `permitdesk diag` exit non-zero.
const (
	StatusPass Status = "pass" // the device or link works as expected
	StatusWarn Status = "warn" // it works, but needs attention soon
	StatusFail Status = "fail" // it does not work, and Fix names the remedy
	StatusSkip Status = "skip" // not run: not configured, not requested, or a prerequisite is missing
)

// rank orders statuses from best to worst, for summaries.
func (s Status) rank() int {
	switch s {
	case StatusFail:
		return 3
	case StatusWarn:
		return 2
	case StatusPass:
		return 1
	}
	return 0
}

// Check is the result of one check.
type Check struct {
	// ID names the check, such as "printer.sensors"; ids are stable across
	// releases so remote monitoring can key on them.
	ID string `json:"id"`
	// Code names the finding: the check id and the status, and where one
	// check has several findings of one status also a variant, such as
	// "printer.sensors.warn.card_inside". Codes are stable like ids, so a
	// front end can key translated text on them.
	Code string `json:"code"`
	// Device is the configured device name (encoder, psam, desk_reader,
	// printer, rewriter, idreader, scanner), or central, storage or pcscd.
	Device string `json:"device"`
	Status Status `json:"status"`
	// Reason describes what was found, in English.
	Reason string `json:"reason"`
	// Fix is the remedy for a warning or failure, and empty on a pass.
	Fix string `json:"fix"`
	// Details holds measured values by name, such as "rtt_ms" or "firmware".
	Details map[string]string `json:"details"`
	// DurationMs is the time of the device's checks divided evenly among
	// them, because one connection serves them all. For an action it is the
	// action's own time.
	DurationMs int64 `json:"durationMs"`
}

// Summary counts checks by status.
type Summary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is the result of one diagnostics run.
type Report struct {
	Schema  int    `json:"schema"`
	Station string `json:"station"`
	// StartedAt is the RFC 3339 time the run began.
	StartedAt string `json:"startedAt"`
	// Status is the worst status of any check; skip when nothing ran.
	Status  Status  `json:"status"`
	Summary Summary `json:"summary"`
	Checks  []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Summary.Fail > 0 }

// Find returns the check with id and whether it is present.
func (r Report) Find(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

func newReport(station string, start time.Time, checks []Check) Report {
	r := Report{Schema: Schema, Station: station, StartedAt: start.UTC().Format(time.RFC3339),
		Status: StatusSkip, Checks: checks}
	for _, c := range checks {
		switch c.Status {
		case StatusPass:
			r.Summary.Pass++
		case StatusWarn:
			r.Summary.Warn++
		case StatusFail:
			r.Summary.Fail++
		default:
			r.Summary.Skip++
		}
		if c.Status.rank() > r.Status.rank() {
			r.Status = c.Status
		}
	}
	return r
}

// checkList collects the checks of one device in order.
type checkList struct {
	device string
	checks []Check
}

// add appends a check whose code is id.status. The returned pointer is
// valid until the next add, long enough to call variant on it.
func (l *checkList) add(id string, st Status, reason, fix string, details map[string]string) *Check {
	if details == nil {
		details = map[string]string{}
	}
	l.checks = append(l.checks, Check{ID: id, Code: id + "." + string(st), Device: l.device, Status: st,
		Reason: reason, Fix: fix, Details: details})
	return &l.checks[len(l.checks)-1]
}

func (l *checkList) pass(id, reason string, details map[string]string) *Check {
	return l.add(id, StatusPass, reason, "", details)
}

func (l *checkList) warn(id, reason, fix string, details map[string]string) *Check {
	return l.add(id, StatusWarn, reason, fix, details)
}

func (l *checkList) fail(id, reason, fix string, details map[string]string) *Check {
	return l.add(id, StatusFail, reason, fix, details)
}

func (l *checkList) skip(id, variant, reason string) {
	l.add(id, StatusSkip, reason, "", nil).variant(variant)
}

// skipRest marks every id not yet reported as skipped with variant and
// reason.
func (l *checkList) skipRest(ids []string, variant, reason string) {
	seen := map[string]bool{}
	for _, c := range l.checks {
		seen[c.ID] = true
	}
	for _, id := range ids {
		if !seen[id] {
			l.skip(id, variant, reason)
		}
	}
}

// variant sets the code to id.status.name, for a check with several
// findings of one status.
func (c *Check) variant(name string) {
	c.Code = c.ID + "." + string(c.Status) + "." + name
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
