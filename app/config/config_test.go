package config_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"permitdesk/app/cli"
	"permitdesk/app/config"
)

// cliEnv makes the test binary act as permitdesk: when it is set, TestMain
// runs cli.Execute with the arguments that follow "--" and exits. The CLI
// tests use it to run real processes with real pipes.
const cliEnv = "PERMITDESK_CONFIG_TEST_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		args := os.Args
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(cli.Execute(args))
	}
	os.Exit(m.Run())
}

func TestExampleParsesToDefault(t *testing.T) {
	var buf bytes.Buffer
	if err := config.WriteExample(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := config.Parse("example.toml", buf.Bytes())
	if err != nil {
		t.Fatalf("example does not parse: %v", err)
	}
	if want := config.Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("example parses to\n%+v\nwant Default()\n%+v", got, want)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	got, err := config.Parse("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, config.Default()) {
		t.Errorf("empty file parses to %+v, want Default()", got)
	}
}

func TestParseRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular-file")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", "ca.pem")

	tests := []struct {
		name   string
		toml   string
		field  string // dotted key that the error must name
		reason string // text the reason must contain
	}{
		// wrong types
		{"string as integer", "station_id = 5", "station_id", "is a TOML integer; write text in double quotes"},
		{"baud as string", "[devices.printer]\nbaud = \"fast\"", "devices.printer.baud", "is a TOML string; write a whole number"},
		{"duration without unit", "[central]\ntimeout = \"soon\"", "central.timeout", `invalid duration "soon"`},
		{"array as string", "log_level = [\"info\"]", "log_level", "is a TOML array; write text in double quotes"},
		{"duration as integer", "[central]\ntimeout = 15", "central.timeout", "15 is not a duration"},
		{"duration without unit", "[issuance]\nstep_timeout = \"15\"", "issuance.step_timeout", "invalid duration"},
		{"ca file not PEM", "[central]\nca_file = \"/etc/hostname\"", "central.ca_file", "holds no PEM CERTIFICATE"},
		{"bool as string", "[devices.encoder]\nextended = \"yes\"", "devices.encoder.extended", "is a TOML string; write true or false"},

		// unknown keys
		{"unknown top-level key", "stationid = \"SZ-001\"", "stationid", "unknown key"},
		{"unknown device key", "[devices.printer]\nspeed = 9600", "devices.printer.speed", "unknown key"},
		{"unknown section", "[printer]\nport = \"/dev/ttyS0\"", "printer", "unknown key"},

		// missing required fields
		{"central without certificate", "[central]\nurl = \"https://127.0.0.1:8443\"\nkey_file = \"" + regular + "\"",
			"central.cert_file", "missing"},
		{"central without key", "[central]\nurl = \"https://127.0.0.1:8443\"\ncert_file = \"" + regular + "\"",
			"central.key_file", "missing"},
		{"file keys without key file", "[keys]\nsource = \"file\"", "keys.key_file", "missing"},
		{"vendor without product", "[devices.scanner]\nvendor_id = \"0483\"", "devices.scanner.product_id", "missing"},
		{"empty data directory", "data_dir = \"\"", "data_dir", "missing"},

		// bad paths
		{"relative serial port", "[devices.printer]\nport = \"ttyUSB0\"", "devices.printer.port", "not an absolute path"},
		{"missing CA file", "[central]\nca_file = \"" + missing + "\"", "central.ca_file", "cannot be read"},
		{"directory as font", "[printing]\nfont_file = \"" + dir + "\"", "printing.font_file", "not a regular file"},
		{"file as data directory", "data_dir = \"" + regular + "\"", "data_dir", "is a file, not a directory"},
		{"missing template directory", "[printing]\ntemplate_dir = \"" + missing + "\"", "printing.template_dir",
			"not an existing directory"},

		// bad values
		{"lower-case station id", "station_id = \"sz-001\"", "station_id", "not a station id"},
		{"unknown log level", "log_level = \"verbose\"", "log_level", `"verbose" is not one of`},
		{"http central url", "[central]\nurl = \"http://127.0.0.1:8443\"", "central.url", "not an https URL"},
		{"odd baud rate", "[devices.rewriter]\nbaud = 12345", "devices.rewriter.baud", "not a standard rate"},
		{"long APDU without extended", "[devices.encoder]\nmax_apdu = 300", "devices.encoder.max_apdu", "needs extended APDUs"},
		{"zero timeout", "[issuance]\nstep_timeout = \"0s\"", "issuance.step_timeout", "out of range"},
		{"bad vendor id", "[devices.scanner]\nvendor_id = \"zz\"\nproduct_id = \"0001\"", "devices.scanner.vendor_id",
			"not a 16-bit hexadecimal id"},
		{"seal key not a key", "[central]\nseal_key_file = \"" + regular + "\"", "central.seal_key_file",
			"not an Ed25519 public key"},
		{"missing seal key file", "[central]\nseal_key_file = \"" + missing + "\"", "central.seal_key_file",
			"cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("bad.toml", []byte(tt.toml))
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("Parse = %v, want an error wrapping ErrInvalid", err)
			}
			var ce *config.Errors
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %T, want *config.Errors", err)
			}
			if !hasField(ce.Fields, tt.field, tt.reason) {
				t.Errorf("errors %q do not name %s with %q", err, tt.field, tt.reason)
			}
			if !strings.Contains(err.Error(), "bad.toml") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

func TestSealKeyFileAccepted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal-pub.hex")
	key := strings.Repeat("3d", 32) + "\n"
	if err := os.WriteFile(path, []byte(key), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("good.toml", []byte("[central]\nseal_key_file = \""+path+"\""))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Central.SealKeyFile != path {
		t.Errorf("seal_key_file = %q, want %q", c.Central.SealKeyFile, path)
	}
}

func hasField(fields []config.FieldError, field, reason string) bool {
	for _, f := range fields {
		if f.Field == field && strings.Contains(f.Reason, reason) {
			return true
		}
	}
	return false
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.toml")
	cfg, err := config.Load(path, false)
	if err != nil {
		t.Fatalf("Load of a missing default file = %v, want the defaults", err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Error("missing default file did not give Default()")
	}
	_, err = config.Load(path, true)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing explicit file = %v, want os.ErrNotExist", err)
	}
	if want := "permitdesk config example > " + path; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load of a missing explicit file = %v, want the fix %q", err, want)
	}
}

// runCLI runs permitdesk's CLI in a child process with stdin and returns its
// output and exit code.
func runCLI(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestCLIExampleChecksValid(t *testing.T) {
	example, stderr, code := runCLI(t, nil, "config", "example")
	if code != 0 {
		t.Fatalf("config example exited %d: %s", code, stderr)
	}
	out, stderr, code := runCLI(t, []byte(example), "config", "check", "--config", "/dev/stdin")
	if code != 0 {
		t.Fatalf("config check of the example exited %d: %s", code, stderr)
	}
	if want := "/dev/stdin: valid\n"; out != want {
		t.Errorf("output = %q, want %q", out, want)
	}
}

func TestCLICheckNamesBadField(t *testing.T) {
	bad := "station_id = \"SZ-001\"\n[devices.printer]\nbaud = 12345\n"
	out, stderr, code := runCLI(t, []byte(bad), "config", "check", "--config", "/dev/stdin")
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	if !strings.Contains(stderr, "devices.printer.baud") || !strings.Contains(stderr, "12345") {
		t.Errorf("stderr %q does not name devices.printer.baud and its value", stderr)
	}
}

func TestCLICheckMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.toml")
	_, stderr, code := runCLI(t, nil, "config", "check", "--config", path)
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if !strings.Contains(stderr, path) {
		t.Errorf("stderr %q does not name %s", stderr, path)
	}
	if want := "permitdesk config example > " + path; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not give the fix %q", stderr, want)
	}
}

func TestParseAcceptsByteOrderMark(t *testing.T) {
	cfg, err := config.Parse("bom.toml", []byte("\xEF\xBB\xBFstation_id = \"SZ-FT-001\"\n"))
	if err != nil {
		t.Fatalf("parse with BOM: %v", err)
	}
	if cfg.StationID != "SZ-FT-001" {
		t.Fatalf("station_id = %q, want SZ-FT-001", cfg.StationID)
	}
}

func TestParseMaxAPDUOneError(t *testing.T) {
	_, err := config.Parse("apdu.toml", []byte("[devices.encoder]\nmax_apdu = 100000\n"))
	var ce *config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *config.Errors", err)
	}
	if len(ce.Fields) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(ce.Fields), ce)
	}
}

func TestParseReportsEveryBadField(t *testing.T) {
	doc := strings.Join([]string{
		`log_level = "verbose"`,    // 1: bad value
		`stationid = "SZ-001"`,     // 2: unknown key
		`[central]`,                // 3
		`url = "http://127.0.0.1"`, // 4: bad value
		`timeout = 15`,             // 5: duration as integer
		`[issuance]`,               // 6
		`step_timeout = "abc"`,     // 7: bad duration
		`[devices.printer]`,        // 8
		`baud = "fast"`,            // 9: string as integer
		`speed = 9600`,             // 10: unknown key
	}, "\n")
	_, err := config.Parse("many.toml", []byte(doc))
	var ce *config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *config.Errors", err)
	}
	want := []struct {
		field string
		line  int
	}{
		{"log_level", 1}, {"stationid", 2}, {"central.url", 4}, {"central.timeout", 5},
		{"issuance.step_timeout", 7}, {"devices.printer.baud", 9}, {"devices.printer.speed", 10},
	}
	for _, w := range want {
		i := slices.IndexFunc(ce.Fields, func(f config.FieldError) bool { return f.Field == w.field })
		if i < 0 {
			t.Errorf("no error for %s in %v", w.field, ce)
			continue
		}
		if ce.Fields[i].Line != w.line {
			t.Errorf("%s: line %d, want %d", w.field, ce.Fields[i].Line, w.line)
		}
	}
}

func TestParseSyntaxErrorAlone(t *testing.T) {
	_, err := config.Parse("syntax.toml", []byte("station_id = \"SZ\nbaud = 5\n"))
	var ce *config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *config.Errors", err)
	}
	if len(ce.Fields) != 1 || ce.Fields[0].Field != "(syntax)" {
		t.Errorf("errors = %v, want one syntax error", ce.Fields)
	}
}
