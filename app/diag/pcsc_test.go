package diag

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/operators"
	"permitdesk/devices"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	simcard "permitdesk/devices/sim/card"
)

// downPCSC is a PC/SC service whose daemon is not running: every call fails
// as pcsc.Open does when SCardEstablishContext returns SCARD_E_NO_SERVICE.
type downPCSC struct{}

func (downPCSC) Readers(context.Context) ([]string, error) { return nil, serviceLost() }

func (downPCSC) Connect(context.Context, string) (CardConn, error) { return nil, serviceLost() }

func serviceLost() error {
	return &devices.Error{Op: "establish context", Code: pcsc.CodeServiceLost,
		Err: pcsc.ErrServiceLost}
}

func TestPCSCDaemonDownInjected(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.Encoder.Name = "Virtual PCD 00 00"
	cfg.Devices.PSAM.Name = "Virtual PCD 00 01"
	r := run(t, New(Options{Config: cfg, PCSC: downPCSC{}}), RunOptions{})
	expect(t, r, "pcscd.service", StatusFail, "systemctl start pcscd.socket")
	expect(t, r, "encoder.reader", StatusFail, "pcscd")
	expect(t, r, "encoder.card", StatusSkip, "")
	expect(t, r, "psam.reader", StatusFail, "pcscd")
}

// TestPCSCDaemonDownReal runs the checks in a child process whose PC/SC
// client library looks for pcscd at a socket that does not exist
// (PCSCLITE_CSOCK_NAME, read by pcsc-lite's libpcsclite), so the real
// SystemPCSC meets a missing daemon while the machine's pcscd keeps running.
func TestPCSCDaemonDownReal(t *testing.T) {
	if out := os.Getenv("PERMITDESK_DIAG_CHILD"); out != "" {
		cfg := testConfig(t)
		cfg.Devices.Encoder.Name = "Virtual PCD 00 00"
		r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"pcscd", "encoder"}})
		b, _ := json.Marshal(r)
		if err := os.WriteFile(out, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestPCSCDaemonDownReal$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PERMITDESK_DIAG_CHILD="+out,
		"PCSCLITE_CSOCK_NAME="+filepath.Join(t.TempDir(), "no-pcscd.socket"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	c := expect(t, r, "pcscd.service", StatusFail, "systemctl start pcscd.socket")
	if !strings.Contains(c.Reason, "not running") {
		t.Errorf("reason %q does not say pcscd is not running", c.Reason)
	}
	expect(t, r, "encoder.reader", StatusFail, "")
}

func TestPCSCGood(t *testing.T) {
	cfg := testConfig(t)
	e := startCards(t, &cfg, simcard.Options{})
	insertCard(t, e)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"pcscd", "encoder", "psam", "desk_reader"}})
	expect(t, r, "pcscd.service", StatusPass, "")
	for _, id := range append(prefixed("encoder", cardCheckIDs), prefixed("psam", cardCheckIDs[:3])...) {
		expect(t, r, id, StatusPass, "")
	}
	expect(t, r, "psam.rtt", StatusPass, "")
	atr := expect(t, r, "encoder.atr", StatusPass, "")
	if atr.Details["historical_text"] != "PERMITDESK" || atr.Details["tck"] != "valid" {
		t.Errorf("ATR details %v, want historical bytes PERMITDESK and a valid TCK", atr.Details)
	}
	if got := expect(t, r, "encoder.extended", StatusPass, "").Details["supported"]; got != "true" {
		t.Errorf("extended supported %q, want true", got)
	}
	if got := expect(t, r, "encoder.rtt", StatusPass, "").Details["sw"]; got != "9000" {
		t.Errorf("SELECT MF status %q, want 9000", got)
	}
	if got := expect(t, r, "psam.keys", StatusPass, "").Details["slots"]; got != "01" {
		t.Errorf("PSAM slots %q, want 01", got)
	}
	expect(t, r, "desk_reader.card", StatusSkip, "")
	if r.Failed() || r.Summary.Warn != 0 {
		t.Errorf("summary %+v, want no warning or failure", r.Summary)
	}
}

func TestPCSCNoCardSkipsChipChecks(t *testing.T) {
	cfg := testConfig(t)
	startCards(t, &cfg, simcard.Options{})
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"encoder"}})
	expect(t, r, "encoder.reader", StatusPass, "")
	c := expect(t, r, "encoder.card", StatusSkip, "")
	if !strings.Contains(c.Reason, "place a card") {
		t.Errorf("reason %q does not ask for a card", c.Reason)
	}
	expect(t, r, "encoder.rtt", StatusSkip, "")
}

func TestPCSCReaderMissing(t *testing.T) {
	pcsctest.Start(t)
	cfg := testConfig(t)
	cfg.Devices.Encoder.Name = "No Such Reader 99"
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"pcscd", "encoder"}})
	expect(t, r, "pcscd.service", StatusPass, "")
	c := expect(t, r, "encoder.reader", StatusFail, "devices.encoder.name")
	if !strings.Contains(c.Reason, "No Such Reader 99") {
		t.Errorf("reason %q does not name the configured reader", c.Reason)
	}
}

func TestPCSCExtendedConfiguredUnsupported(t *testing.T) {
	cfg := testConfig(t)
	e := startCards(t, &cfg, simcard.Options{ShortOnly: true})
	cfg.Devices.Encoder.Extended = true
	insertCard(t, e)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"encoder"}})
	expect(t, r, "encoder.extended", StatusFail, "devices.encoder.extended = false")
	cfg.Devices.Encoder.Extended = false
	r = run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"encoder"}})
	expect(t, r, "encoder.extended", StatusPass, "")
}

func TestPSAMReaderWithPermitCard(t *testing.T) {
	cfg := testConfig(t)
	e := startCards(t, &cfg, simcard.Options{})
	insertCard(t, e)
	cfg.Devices.PSAM.Name = cfg.Devices.Encoder.Name
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"psam"}})
	c := expect(t, r, "psam.keys", StatusFail, "PSAM")
	if !strings.Contains(c.Reason, "not a permit key card") {
		t.Errorf("reason %q", c.Reason)
	}
}

func TestAPDUConsole(t *testing.T) {
	cfg := testConfig(t)
	e := startCards(t, &cfg, simcard.Options{})
	insertCard(t, e)
	db := openDB(t, cfg)
	sess := sessions(t, db)
	s := New(Options{Config: cfg, DB: db})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.APDU(ctx, sess[operators.Clerk], APDURequest{Hex: "00A40000023F00"}); !errors.Is(err, operators.ErrForbidden) {
		t.Errorf("clerk: err %v, want ErrForbidden", err)
	}
	res, err := s.APDU(ctx, sess[operators.Technician], APDURequest{Hex: "00 A4 00 00 02 3F 00 00"})
	if err != nil {
		t.Fatal(err)
	}
	if res.SW != "9000" || res.Meaning == "" || res.Changes {
		t.Errorf("SELECT MF: %+v, want 9000 with a meaning and no change", res)
	}
	update := APDURequest{Hex: "00D6000002AABB"}
	if _, err := s.APDU(ctx, sess[operators.Technician], update); !errors.Is(err, ErrConfirmRequired) {
		t.Errorf("unconfirmed UPDATE BINARY: err %v, want ErrConfirmRequired", err)
	}
	update.Confirm = true
	res, err = s.APDU(ctx, sess[operators.Technician], update)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changes || res.SW == "9000" {
		t.Errorf("UPDATE BINARY on the MF: %+v, want a refusal status and changes set", res)
	}
	recs := consoleRecords(t, db)
	if len(recs) != 5 {
		t.Fatalf("%d console records, want 5 (a rejection, two commands with results): %v", len(recs), recs)
	}
	for _, r := range recs {
		if strings.Contains(r, "AABB") {
			t.Errorf("audit record %q contains the APDU data field", r)
		}
	}
}
