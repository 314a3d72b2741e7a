package diag

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	secretID  = "440301199003071234"
	secretKey = "50444556 2D4D4153 54455220 4B455931"
	packedKey = "504445562D4D41535445522D4B455931"
	pemKey    = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB3vSECRETSECRETSECRET\n-----END EC PRIVATE KEY-----"
)

// writeLogs writes a plain and a rotated log with secrets in them.
func writeLogs(t *testing.T, dataDir string) {
	t.Helper()
	dir := filepath.Join(dataDir, "logs")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	plain := `{"msg":"read id card","id_number":"` + secretID + `"}` + "\n" +
		`{"msg":"key loaded","key":"` + packedKey + `"}` + "\n" +
		`{"msg":"apdu","cmd":"00 82 00 01 10 50 44 45 56 2D 4D 41 53 54 45 52 2D 4B 45 59 31"}` + "\n" +
		`{"msg":"pem","value":"` + strings.ReplaceAll(pemKey, "\n", `\n`) + `"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "permitdesk.log"), []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	io.WriteString(w, "old line with "+secretID+" and\n"+pemKey+"\n")
	w.Close()
	if err := os.WriteFile(filepath.Join(dir, "permitdesk-2026-12-01T00-00-00.000.log.gz"), gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBundleHasNoSecret(t *testing.T) {
	cfg := testConfig(t)
	writeLogs(t, cfg.DataDir)
	keyFile := filepath.Join(cfg.DataDir, "dev-master.key")
	if err := os.WriteFile(keyFile, []byte(packedKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Keys.Source, cfg.Keys.KeyFile = "file", keyFile
	startPrinter(t, &cfg)
	startIDReader(t, &cfg)
	db := openDB(t, cfg)
	sessions(t, db)
	insertJob(t, db, 1, "printer", time.Now().UTC().Format(storedTimeFormat))
	insertEvent(t, db, 1, "needs_attention", `{"evidence":"holder `+secretID+`"}`,
		time.Now().UTC().Format(storedTimeFormat))

	var buf bytes.Buffer
	sum, err := New(Options{Config: cfg, DB: db}).Bundle(context.Background(), &buf, BundleOptions{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, buf.Bytes())
	for _, name := range []string{"manifest.json", "report.json", "devices.json", "config.toml",
		"logs/permitdesk.log", "logs/permitdesk-2026-12-01T00-00-00.000.log", "job_events.json", "audit_verify.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle lacks %s (has %v)", name, sum.Files)
		}
	}
	forbidden := regexp.MustCompile(secretID + `|` + packedKey + `|50 44 45 56 2D 4D|BEGIN EC PRIVATE KEY|SECRETSECRET|` +
		regexp.QuoteMeta(secretKey))
	anyID := regexp.MustCompile(`\b[0-9]{17}[0-9X]\b`)
	for name, content := range files {
		if m := forbidden.FindString(content); m != "" {
			t.Errorf("%s contains the secret %q", name, m)
		}
		if m := anyID.FindString(content); m != "" {
			t.Errorf("%s contains a full ID number %q", name, m)
		}
	}
	if !strings.Contains(files["logs/permitdesk.log"], "4403************34") {
		t.Errorf("the log does not show the ID number masked:\n%s", files["logs/permitdesk.log"])
	}
	if !strings.Contains(files["config.toml"], keyFile) || !strings.Contains(files["manifest.json"], keyFile) {
		t.Error("the key file is not named in the configuration and the manifest")
	}
	if !strings.Contains(files["devices.json"], `"sam_id": "`) || strings.Contains(files["devices.json"], "[hex removed]") {
		t.Errorf("devices.json lacks the SAM id or lost it to redaction:\n%s", files["devices.json"])
	}
	if !strings.Contains(files["devices.json"], "EMU00001") {
		t.Errorf("devices.json lacks the printer serial:\n%s", files["devices.json"])
	}
	if !strings.Contains(files["audit_verify.json"], `"intact": true`) {
		t.Errorf("audit_verify.json: %s", files["audit_verify.json"])
	}
	if !strings.Contains(files["job_events.json"], "needs_attention") {
		t.Errorf("job_events.json lacks the event: %s", files["job_events.json"])
	}
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(data)
	}
	return out
}

func TestBundleKeepsLogTail(t *testing.T) {
	tail := newTail(20)
	io.WriteString(tail, "first line is long enough\nsecond\nthird line\n")
	if got := tail.String(); got != "second\nthird line\n" {
		t.Errorf("tail %q, want the whole lines within the last 20 bytes", got)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"id 44030119900307123X here", "id 4403************3X here"},
		{"serial 44030119900307123456", "serial 44030119900307123456"},
		{"key " + packedKey, "key [hex removed]"},
		{"apdu 00 82 00 01 08 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00", "apdu [hex removed]"},
		{"sw 9000 rtt 1.2", "sw 9000 rtt 1.2"},
		{"a " + pemKey + " b", "a [private key removed] b"},
		{"mac 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00 end", "mac [hex removed] end"},
		{"short 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF", "short 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF"},
		{"word x" + packedKey + " kept", "word x" + packedKey + " kept"},
		{"key=0x" + packedKey, "key=[hex removed]"},
		{`{"id":"` + secretID + `"}`, `{"id":"4403************34"}`},
		{"id_" + secretID + " is one word", "id_" + secretID + " is one word"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
