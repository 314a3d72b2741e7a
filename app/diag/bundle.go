package diag

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"permitdesk/app/audit"
	"permitdesk/app/config"
)

// BundleOptions tune Bundle.
type BundleOptions struct {
	// Events is the number of most recent job events included; 0 means 500.
	Events int
	// LogBytes is the most kept of each log file, from its end; 0 means 8 MB.
	LogBytes int64
	// Version identifies the binary in the manifest.
	Version string
}

// BundleSummary lists what Bundle wrote.
type BundleSummary struct {
	Files []string `json:"files"`
	// KeyFiles names the key files the configuration refers to; their
	// contents are never included.
	KeyFiles []string `json:"keyFiles"`
	// Report is the diagnostics run included in the bundle.
	Report Report `json:"report"`
}

// Bundle writes a support bundle as a zip archive to w: the logs, the
// configuration without secrets, the device identities from a fresh
// diagnostics run, the most recent job events and the audit chain check.
// Every text file passes through Redact, so no key and no full ID number
// leaves the station.
func (s *Service) Bundle(ctx context.Context, w io.Writer, o BundleOptions) (BundleSummary, error) {
	o.Events = orDefault(o.Events, 500)
	o.LogBytes = orDefault(o.LogBytes, 8<<20)
	zw := zip.NewWriter(w)
	b := bundle{zw: zw, now: s.opts.Now(), errs: []string{}}
	report, _ := s.Run(ctx, RunOptions{})
	sum := BundleSummary{Report: report, KeyFiles: keyFiles(s.opts.Config)}
	b.json("report.json", report)
	b.json("devices.json", identities(report))
	b.text("config.toml", configText(s.opts.Config))
	s.addLogs(&b, o.LogBytes)
	s.addEvents(ctx, &b, o.Events)
	s.addAuditVerify(ctx, &b)
	b.json("manifest.json", map[string]any{"schema": Schema, "station": s.opts.Config.StationID,
		"created": b.now.UTC().Format(time.RFC3339), "version": o.Version, "files": b.files,
		"key_files_not_included": sum.KeyFiles, "errors": b.errs})
	sum.Files = b.files
	if err := zw.Close(); err != nil {
		return sum, fmt.Errorf("write bundle: %w", err)
	}
	if b.err != nil {
		return sum, fmt.Errorf("write bundle: %w", b.err)
	}
	s.log.Info("support bundle written", "files", len(b.files))
	return sum, nil
}

// BundleToFile writes the bundle to a new file at path, for front ends
// that cannot pass a writer. An existing file is not overwritten, and a
// failed bundle leaves no file behind.
func (s *Service) BundleToFile(ctx context.Context, path string, o BundleOptions) (BundleSummary, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BundleSummary{}, fmt.Errorf("create bundle file: %w; choose another file name", err)
	}
	sum, err := s.Bundle(ctx, f, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write bundle file %s: %w", path, cerr)
	}
	if err != nil {
		os.Remove(path)
	}
	return sum, err
}

// bundle adds redacted files to a zip archive and keeps the first write
// error; errors reading a source are listed in the manifest instead.
type bundle struct {
	zw    *zip.Writer
	now   time.Time
	files []string
	errs  []string
	err   error
}

func (b *bundle) text(name, content string) {
	if b.err != nil {
		return
	}
	f, err := b.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.now})
	if err == nil {
		_, err = io.WriteString(f, Redact(content))
	}
	b.err = err
	b.files = append(b.files, name)
}

func (b *bundle) json(name string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		b.errs = append(b.errs, name+": "+err.Error())
		return
	}
	b.text(name, string(data)+"\n")
}

func (b *bundle) fail(what string, err error) {
	b.errs = append(b.errs, Redact(what+": "+err.Error()))
}

// identity is the identifying values one device reported.
type identity struct {
	Device string            `json:"device"`
	Values map[string]string `json:"values"`
}

var identityKeys = []string{"reader", "atr", "model", "serial", "firmware", "rom", "sam_id", "usb_id", "product",
	"path", "slots", "server_subject", "station_subject"}

func identities(r Report) []identity {
	byDevice := map[string]map[string]string{}
	var order []string
	for _, c := range r.Checks {
		for _, k := range identityKeys {
			v, ok := c.Details[k]
			if !ok {
				continue
			}
			if byDevice[c.Device] == nil {
				byDevice[c.Device] = map[string]string{}
				order = append(order, c.Device)
			}
			byDevice[c.Device][k] = v
		}
	}
	out := make([]identity, 0, len(order))
	for _, d := range order {
		out = append(out, identity{Device: d, Values: byDevice[d]})
	}
	return out
}

// configText renders the configuration with secrets removed: user
// information in the central URL is dropped, and key files are named only.
func configText(c config.Config) string {
	if u, err := url.Parse(c.Central.URL); err == nil && u.User != nil {
		u.User = nil
		c.Central.URL = u.String()
	}
	b, err := toml.Marshal(c)
	if err != nil {
		return "# the configuration could not be written: " + err.Error() + "\n"
	}
	return "# Loaded configuration. Key files are named, and their contents are not included.\n" + string(b)
}

func keyFiles(c config.Config) []string {
	out := []string{}
	for _, p := range []string{c.Central.KeyFile, c.Keys.KeyFile} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// addLogs adds every file in the log folder, rotated ones decompressed,
// keeping at most limit bytes from the end of each.
func (s *Service) addLogs(b *bundle, limit int64) {
	dir := filepath.Join(s.opts.Config.DataDir, "logs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.fail("logs", err)
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		text, err := readLog(filepath.Join(dir, e.Name()), limit)
		if err != nil {
			b.fail("logs/"+e.Name(), err)
			continue
		}
		b.text("logs/"+strings.TrimSuffix(e.Name(), ".gz"), text)
	}
}

// readLog reads a log file, gzip or plain, and keeps the last limit bytes
// from a line start.
func readLog(path string, limit int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return "", err
		}
		r = gz
	}
	tail := newTail(limit)
	if _, err := io.Copy(tail, r); err != nil {
		return "", err
	}
	return tail.String(), nil
}

// tailBuffer keeps the last limit bytes written, at most twice limit in
// memory at a time.
type tailBuffer struct {
	limit int64
	buf   bytes.Buffer
	cut   bool
}

func newTail(limit int64) *tailBuffer { return &tailBuffer{limit: limit} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := int64(t.buf.Len()) - t.limit; over > t.limit {
		t.buf.Next(int(over))
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	b := t.buf.Bytes()
	if over := int64(len(b)) - t.limit; over > 0 {
		b, t.cut = b[over:], true
	}
	if t.cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// bundleEvent is one job event in the bundle. The job's permit data are
// left out; the event detail is redacted.
type bundleEvent struct {
	ID      int64  `json:"id"`
	JobID   int64  `json:"jobId"`
	Printer string `json:"printer"`
	Kind    string `json:"kind"`
	From    string `json:"from"`
	To      string `json:"to"`
	Detail  string `json:"detail"`
	At      string `json:"at"`
}

// bundleEventsSQL reads the newest job events (issuance tables, migration
// 00005) without the jobs' permit data.
const bundleEventsSQL = `SELECT e.id, e.job_id, j.printer, j.kind, e.from_state, e.to_state, e.detail, e.at
	FROM job_events e JOIN jobs j ON j.id = e.job_id ORDER BY e.id DESC LIMIT ?`

func (s *Service) addEvents(ctx context.Context, b *bundle, n int) {
	if s.opts.DB == nil {
		b.errs = append(b.errs, "job_events.json: the database is not open")
		return
	}
	rows, err := s.opts.DB.QueryContext(ctx, bundleEventsSQL, n)
	if err != nil {
		b.fail("job_events.json", err)
		return
	}
	defer rows.Close()
	events := []bundleEvent{}
	for rows.Next() {
		var e bundleEvent
		if err := rows.Scan(&e.ID, &e.JobID, &e.Printer, &e.Kind, &e.From, &e.To, &e.Detail, &e.At); err != nil {
			b.fail("job_events.json", err)
			return
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		b.fail("job_events.json", err)
	}
	b.json("job_events.json", events)
}

// auditResult is the audit chain check in the bundle.
type auditResult struct {
	Rows   int64  `json:"rows"`
	Head   int64  `json:"head"`
	Intact bool   `json:"intact"`
	Break  string `json:"break,omitempty"`
}

func (s *Service) addAuditVerify(ctx context.Context, b *bundle) {
	if s.opts.DB == nil {
		b.errs = append(b.errs, "audit_verify.json: the database is not open")
		return
	}
	rep, err := audit.Verify(ctx, s.opts.DB)
	if err != nil {
		b.fail("audit_verify.json", err)
		return
	}
	res := auditResult{Rows: rep.Rows, Head: rep.Head, Intact: rep.Break == nil}
	if rep.Break != nil {
		res.Break = fmt.Sprintf("record %d: %s", rep.Break.Seq, rep.Break.Reason)
	}
	b.json("audit_verify.json", res)
}
