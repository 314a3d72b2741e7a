package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/cardface"
	"permitdesk/app/issuance"
	"permitdesk/app/permit"
	"permitdesk/app/rewrite"
	"permitdesk/app/store"
	"permitdesk/app/sync"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
	rewritersim "permitdesk/devices/sim/rewriter"
)

// rewriteStation is a workstation configuration on the card emulator behind
// pcscd, the rewriter emulator on a pty and the reference central server.
type rewriteStation struct {
	cfg, data string
	cards     *simcard.Emulator
	strip     *rewritersim.Sim
}

func newRewriteStation(t *testing.T) *rewriteStation {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s := &rewriteStation{cfg: filepath.Join(dir, "permitdesk.toml"), data: filepath.Join(dir, "ws")}
	centralDir, pkiDir := filepath.Join(dir, "central"), filepath.Join(dir, "central", "pki")
	if _, err := runCentralCLI(t, ctx, "central", "pki", "init", "--dir", pkiDir); err != nil {
		t.Fatal(err)
	}
	url := serveCentralCLI(t, centralDir)

	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	var err error
	if s.cards, err = simcard.New(simcard.Options{Addr: pcsctest.EncoderAddr, Hopper: 2}); err != nil {
		t.Fatal(err)
	}
	if s.strip, err = rewritersim.New(rewritersim.Options{Link: filepath.Join(dir, "rewriter"),
		OutDir: filepath.Join(dir, "strips"), CardInserted: true}); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	cardsDone := make(chan struct{})
	go func() { defer close(cardsDone); _ = s.cards.Run(rctx) }()
	go s.strip.Run(rctx)
	t.Cleanup(func() { cancel(); <-cardsDone; s.strip.Wait() })

	cfg := fmt.Sprintf("station_id = \"DEV-0001\"\ndata_dir = %q\nlog_level = \"error\"\n"+
		"[central]\nurl = %q\nca_file = %q\ncert_file = %q\nkey_file = %q\n"+
		"[keys]\nsource = \"file\"\nkey_file = %q\n"+
		"[devices.desk_reader]\nname = %q\n[devices.rewriter]\nport = %q\n",
		s.data, url, filepath.Join(pkiDir, "ca.pem"), filepath.Join(pkiDir, "station-DEV-0001.pem"),
		filepath.Join(pkiDir, "station-DEV-0001-key.pem"), filepath.Join("..", "..", "testdata", "cards", "dev-master.key"),
		pcsctest.EncoderReader, s.strip.Path())
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *rewriteStation) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runAuditCLI(t, s.cfg, args...)
}

// issueSealedCard personalises a blank card through `card personalise` with
// the central system's seal of the first cached application, and queues the
// issued record, as the issuance workflow would.
func (s *rewriteStation) issueSealedCard(t *testing.T) (permit.Application, permitcard.Serial) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(s.data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := sync.New(sync.Options{DB: db, StationID: "DEV-0001"})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := db.QueryRow(`SELECT id FROM sync_applications ORDER BY seq LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	app, err := svc.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d := issuance.CardData(permit.FromApplication(app, time.Now().UTC()))
	d.Permit.StationID = "DEV-0001"
	if d.Seal, err = svc.ApplicationSeal(ctx, id); err != nil {
		t.Fatalf("central seal of application %s: %v", id, err)
	}
	b, _ := json.Marshal(d)
	dataFile := filepath.Join(t.TempDir(), "card.json")
	if err := os.WriteFile(dataFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	serial, err := s.cards.InsertBlank()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.run(t, "card", "personalise", "--reader", pcsctest.EncoderReader, "--data", dataFile); err != nil {
		t.Fatalf("card personalise: %v\n%s", err, out)
	}
	err = store.InTx(ctx, db, func(tx *sql.Tx) error {
		_, err := svc.Enqueue(ctx, tx, sync.Record{Kind: sync.KindIssued, ApplicationID: app.ID,
			PermitNumber: app.PermitNumber, CardSerial: serial.String()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return app, serial
}

func TestRewriteCommandChangesAddress(t *testing.T) {
	s := newRewriteStation(t)
	if out, err := s.run(t, "sync", "--once"); err != nil {
		t.Fatalf("sync --once: %v\n%s", err, out)
	}
	t.Setenv(envNewPassword, "chief-password")
	if out, err := s.run(t, "operator", "add", "--login", "chief", "--role", "supervisor"); err != nil {
		t.Fatalf("add supervisor: %v\n%s", err, out)
	}
	t.Setenv(envOperator, "chief")
	t.Setenv(envPassword, "chief-password")
	t.Setenv(envNewPassword, "tech-password")
	if out, err := s.run(t, "operator", "add", "--login", "tech", "--role", "technician"); err != nil {
		t.Fatalf("add technician: %v\n%s", err, out)
	}
	app, serial := s.issueSealedCard(t)
	if out, err := s.run(t, "sync", "--once"); err != nil || !strings.Contains(out, "1 accepted") {
		t.Fatalf("push the issued record: %v\n%s", err, out)
	}

	t.Setenv(envOperator, "tech")
	t.Setenv(envPassword, "tech-password")
	code := newHouseCode(t, s, app.Address.HouseCode)
	out, err := s.run(t, "rewrite", "--house-code", code, "--json")
	if err != nil {
		t.Fatalf("rewrite: %v\n%s", err, out)
	}
	var res struct{ Job rewrite.Job }
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &res); err != nil {
		t.Fatalf("rewrite --json output: %v\n%s", err, out)
	}
	if res.Job.State != rewrite.Done || res.Job.CardSerial != serial.String() || res.Job.NewAddress.HouseCode != code {
		t.Fatalf("rewrite job %+v", res.Job)
	}

	out, err = s.run(t, "card", "dump", "--reader", pcsctest.EncoderReader, "--json", "--no-photo")
	if err != nil {
		t.Fatalf("card dump: %v\n%s", err, out)
	}
	var c permitcard.Card
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &c); err != nil {
		t.Fatalf("card dump --json: %v\n%s", err, out)
	}
	if c.Data.Address.HouseCode != code || c.Sequence != 2 {
		t.Fatalf("chip address %s sequence %d, want %s sequence 2", c.Data.Address.HouseCode, c.Sequence, code)
	}
	if len(c.History) != 1 || c.History[0].Address.HouseCode != app.Address.HouseCode {
		t.Fatalf("chip history %+v, want the old address %s", c.History, app.Address.HouseCode)
	}
	checkStripPNG(t, s, res.Job)

	out, err = s.run(t, "sync", "--once")
	if err != nil || !strings.Contains(out, "1 accepted") {
		t.Fatalf("push the address record: %v\n%s", err, out)
	}
}

// newHouseCode returns an active cached house code other than current.
func newHouseCode(t *testing.T, s *rewriteStation, current string) string {
	t.Helper()
	db, err := store.Open(s.data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	if err := db.QueryRow(`SELECT code FROM sync_house_codes WHERE status = 'active' AND code <> ?
		ORDER BY code LIMIT 1`, current).Scan(&code); err != nil {
		t.Fatal(err)
	}
	return code
}

// checkStripPNG compares the rewriter's last PNG with the strip rendered for
// the job's new address.
func checkStripPNG(t *testing.T, s *rewriteStation, job rewrite.Job) {
	t.Helper()
	files := s.strip.Images()
	if len(files) != 1 {
		t.Fatalf("the rewriter wrote %d strip PNGs, want 1", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cardface.New(cardface.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := job.NewAddress
	want, err := r.StripImage(permit.Permit{Address: permit.Address{HouseCode: a.HouseCode, District: a.District,
		Street: a.Street, Community: a.Community, Detail: a.Detail}, IssuedAt: job.CreatedAt.In(time.Local)})
	if err != nil {
		t.Fatal(err)
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g, _, _, _ := got.At(x, y).RGBA()
			if (g < 0x8000) != (want.GrayAt(x, y).Y < 128) {
				t.Fatalf("strip PNG %s differs from the new address's strip at (%d,%d)", files[0], x, y)
			}
		}
	}
}
