package ui

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"image/png"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/permit"
	"permitdesk/app/rewrite"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	cstore "permitdesk/central/store"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
	rewritersim "permitdesk/devices/sim/rewriter"
)

const rewriteStationID = "DEV-0001"

// rewriteStation is the desktop's address rewrite built by openRewrite from
// a configuration: the card emulator behind pcscd as desk reader, the
// rewriter emulator on a pseudo-terminal, the development key file and the
// reference central server on 127.0.0.1.
type rewriteStation struct {
	cfg   config.Config
	db    *sql.DB
	sync  *appsync.Service
	cards *simcard.Emulator
	strip *rewritersim.Sim
	enc   *permitcard.Encoder
	ops   *operators.Service
	app   *App
	rec   *recorder
}

func newRewriteStation(t *testing.T) *rewriteStation {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s := &rewriteStation{}
	centralURL, pkiDir := startTestCentral(t, filepath.Join(dir, "central"))

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
	runCtx, cancel := context.WithCancel(ctx)
	cardsDone := make(chan struct{})
	go func() { defer close(cardsDone); _ = s.cards.Run(runCtx) }()
	go s.strip.Run(runCtx)
	t.Cleanup(func() { cancel(); <-cardsDone; s.strip.Wait() })

	cert, key := pki.StationFiles(pkiDir, rewriteStationID)
	s.cfg = config.Default()
	s.cfg.StationID = rewriteStationID
	s.cfg.DataDir = filepath.Join(dir, "ws")
	s.cfg.Central.URL, s.cfg.Central.CAFile = centralURL, filepath.Join(pkiDir, pki.CAFile)
	s.cfg.Central.CertFile, s.cfg.Central.KeyFile = cert, key
	s.cfg.Keys = config.Keys{Source: "file", KeyFile: filepath.Join("..", "..", "testdata", "cards", "dev-master.key")}
	s.cfg.Devices.DeskReader.Name = pcsctest.EncoderReader
	s.cfg.Devices.Rewriter.Port = s.strip.Path()
	s.cfg.Issuance.StepTimeout = config.Duration{Duration: 5 * time.Second}

	s.openWorkstation(t)
	s.waitReaderEmpty(t)
	return s
}

// startTestCentral serves a small seeded register over TLS and returns its
// URL and PKI directory.
func startTestCentral(t *testing.T, dir string) (string, string) {
	t.Helper()
	pkiDir := filepath.Join(dir, "pki")
	if _, err := pki.Init(pki.InitOptions{Dir: pkiDir, Stations: []string{rewriteStationID}}); err != nil {
		t.Fatal(err)
	}
	sealKey, err := pki.LoadSealKey(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cstore.Open(context.Background(), cstore.Options{Dir: filepath.Join(dir, "data"), SealKey: sealKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: rewriteStationID, Approved: 2}},
		ExtraHouseCodes: 6, RetiredHouseCodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Seed(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := pki.ServerTLS(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, tlsConfig) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("central server: %v", err)
		}
	})
	return "https://" + ln.Addr().String(), pkiDir
}

// openWorkstation opens the database, pulls the register, adds the
// operators and builds the App over openRewrite's service.
func (s *rewriteStation) openWorkstation(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMigrated(ctx, s.cfg.DataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.db = db
	client, err := appsync.NewClient(appsync.ClientOptions{BaseURL: s.cfg.Central.URL, CAFile: s.cfg.Central.CAFile,
		CertFile: s.cfg.Central.CertFile, KeyFile: s.cfg.Central.KeyFile, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	if s.sync, err = appsync.New(appsync.Options{DB: db, Client: client, StationID: rewriteStationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sync.Pull(ctx); err != nil {
		t.Fatal(err)
	}

	s.ops = operators.New(db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	if _, err := s.ops.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "主管",
		Role: operators.Supervisor, Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	boss, err := s.ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []operators.NewOperator{
		{Login: "tech1", Name: "赵六", Role: operators.Technician, Password: "tech-password"},
		{Login: "clerk1", Name: "李四", Role: operators.Clerk, Password: "clerk-password"},
	} {
		if _, err := s.ops.Add(ctx, boss, n); err != nil {
			t.Fatal(err)
		}
	}

	if missing := rewriteMissing(s.cfg); len(missing) > 0 {
		t.Fatalf("rewriteMissing = %v for a complete configuration", missing)
	}
	svc, closeRewrite, err := openRewrite(s.cfg, db, s.sync, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeRewrite)
	s.app = NewApp(Options{Config: s.cfg, Operators: s.ops, Houses: s.sync, Rewrite: svc})
	s.rec = &recorder{}
	appCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	s.app.startup(appCtx, s.rec.emit)
	s.app.startRewrite(appCtx)

	kp, err := keys.LoadFile(s.cfg.Keys.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	if s.enc, err = permitcard.New(permitcard.Options{Reader: reader, Keys: kp, RepresentWait: -1}); err != nil {
		t.Fatal(err)
	}
}

// waitReaderEmpty fails when a card from an earlier test is still listed.
func (s *rewriteStation) waitReaderEmpty(t *testing.T) {
	t.Helper()
	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WaitRemoved(ctx); err != nil {
		t.Fatalf("a card from an earlier test is still in the reader: %v", err)
	}
}

// issueCard personalises a blank card with the first cached application,
// sealed by the central system as the issuance workflow does, and leaves it
// in the reader.
func (s *rewriteStation) issueCard(t *testing.T) (permit.Application, permitcard.Serial) {
	t.Helper()
	ctx := context.Background()
	var id string
	if err := s.db.QueryRow(`SELECT id FROM sync_applications ORDER BY seq LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	app, err := s.sync.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d := issuance.CardData(permit.FromApplication(app, time.Now().UTC()))
	d.Permit.StationID = rewriteStationID
	if d.Seal, err = s.sync.ApplicationSeal(ctx, id); err != nil {
		t.Fatalf("central seal of application %s: %v", id, err)
	}
	if _, err := s.cards.InsertBlank(); err != nil {
		t.Fatal(err)
	}
	serial, err := s.enc.Personalise(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	return app, serial
}

// houseCode returns a cached house code with the given status other than
// the excluded ones.
func (s *rewriteStation) houseCode(t *testing.T, status string, exclude ...string) string {
	t.Helper()
	rows, err := s.db.Query(`SELECT code FROM sync_house_codes WHERE status = ? ORDER BY code`, status)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		if !contains(exclude, code) {
			return code
		}
	}
	t.Fatalf("no cached %s house code outside %v", status, exclude)
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// chip reads the card in the reader.
func (s *rewriteStation) chip(t *testing.T) permitcard.Card {
	t.Helper()
	c, err := s.enc.Read(context.Background(), permitcard.ReadOptions{SkipPhoto: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *rewriteStation) login(t *testing.T, login, password string) {
	t.Helper()
	if _, err := s.app.Login(login, password); err != nil {
		t.Fatal(err)
	}
}

// waitJob polls RewriteJob until the job is in one of the states.
func (s *rewriteStation) waitJob(t *testing.T, id int64, states ...string) RewriteJobView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := s.app.RewriteJob(id)
		if err != nil {
			t.Fatal(err)
		}
		if contains(states, j.State) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after 60 s, want one of %v (progress %+v)", id, j.State, states, j.Progress)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// progressSteps returns the steps of job id sent as EventRewriteProgress.
func (s *rewriteStation) progressSteps(id int64) []string {
	var steps []string
	for _, e := range s.rec.list() {
		if p, ok := e.data.(RewriteProgressView); ok && e.name == EventRewriteProgress && p.JobID == id {
			steps = append(steps, p.Step)
		}
	}
	return steps
}

// decodePNG decodes a PNG data: URL.
func decodePNG(t *testing.T, url string) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(url, "data:image/png;base64,")
	if !ok {
		t.Fatalf("strip %.40q is not a PNG data: URL", url)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("strip PNG: %v", err)
	}
	return b
}

func TestRewriteOnEmulatedStation(t *testing.T) {
	s := newRewriteStation(t)
	app, serial := s.issueCard(t)
	current := app.Address.HouseCode
	next := s.houseCode(t, "active", current)

	s.login(t, "clerk1", "clerk-password")
	if _, err := s.app.ReadRewriteCard(); errorCode(err) != CodeForbidden {
		t.Errorf("ReadRewriteCard as clerk = %v, want code %q", err, CodeForbidden)
	}
	if _, err := s.app.PreviewRewrite(next); errorCode(err) != CodeForbidden {
		t.Errorf("PreviewRewrite as clerk = %v, want code %q", err, CodeForbidden)
	}

	s.login(t, "tech1", "tech-password")
	ready, err := s.app.RewriteReadiness()
	if err != nil {
		t.Fatal(err)
	}
	if !ready.Ready || len(ready.Missing) != 0 {
		t.Errorf("RewriteReadiness = %+v, want ready", ready)
	}

	card, err := s.app.ReadRewriteCard()
	if err != nil {
		t.Fatal(err)
	}
	if card.Serial != serial.String() || card.HolderName != app.Holder.Name || card.PermitNumber != app.PermitNumber {
		t.Errorf("card %s of %s, permit %s; want %s of %s, permit %s", card.Serial, card.HolderName,
			card.PermitNumber, serial, app.Holder.Name, app.PermitNumber)
	}
	if card.Address.HouseCode != current || card.Sequence != 1 || len(card.History) != 0 {
		t.Errorf("card address %s sequence %d history %d, want %s, 1, none", card.Address.HouseCode,
			card.Sequence, len(card.History), current)
	}
	if !card.SealValid || card.Revoked || card.OpenJob != nil {
		t.Errorf("card seal valid %t (%s), revoked %t, open job %v", card.SealValid, card.SealError, card.Revoked,
			card.OpenJob)
	}
	if strings.Contains(card.IDNumber, app.Holder.IDNumber[6:14]) {
		t.Errorf("card ID number %s shows the birth date digits", card.IDNumber)
	}

	t.Run("preview refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name, code, want, message string
		}{
			{"unknown", "4403999999999999999", CodeNotFound, "not found"},
			{"retired", s.houseCode(t, "retired"), CodeInvalidArgument, "retired"},
			{"same address", current, CodeInvalidArgument, "already the card's address"},
			{"empty", " ", CodeInvalidArgument, "empty"},
		} {
			_, err := s.app.PreviewRewrite(tc.code)
			if errorCode(err) != tc.want {
				t.Errorf("%s: PreviewRewrite(%q) = %v, want code %q", tc.name, tc.code, err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("%s: message %q does not say %q", tc.name, err, tc.message)
			}
		}
	})

	preview, err := s.app.PreviewRewrite(next)
	if err != nil {
		t.Fatal(err)
	}
	if preview.Card.Serial != serial.String() || preview.NewAddress.HouseCode != next || !preview.LookupOnline {
		t.Errorf("preview card %s new %s online %t, want %s, %s, online", preview.Card.Serial,
			preview.NewAddress.HouseCode, preview.LookupOnline, serial, next)
	}
	if bytes.Equal(decodePNG(t, preview.OldStrip), decodePNG(t, preview.NewStrip)) {
		t.Error("old and new strip previews are the same image")
	}

	if _, err := s.app.StartRewrite(next, "0000000000000000"); errorCode(err) != CodeCardRejected {
		t.Errorf("StartRewrite for another card's serial = %v, want code %q", err, CodeCardRejected)
	}
	job, err := s.app.StartRewrite(next, serial.String())
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == 0 || job.CardSerial != serial.String() || job.NewAddress.HouseCode != next {
		t.Fatalf("StartRewrite = %+v", job)
	}
	done := s.waitJob(t, job.ID, string(rewrite.Done), string(rewrite.NeedsAttention))
	if done.State != string(rewrite.Done) || done.Progress == nil || done.Progress.Step != rewrite.StepDone ||
		done.Progress.Percent != 100 {
		t.Fatalf("job %d = %s, progress %+v, attention %q; want done at 100%%", job.ID, done.State, done.Progress,
			done.Attention)
	}
	wantSteps := []string{rewrite.StepCheck, rewrite.StepChipWrite, rewrite.StepChipVerify, rewrite.StepRecord,
		rewrite.StepStripPrint, rewrite.StepDone}
	if got := s.progressSteps(job.ID); strings.Join(got, ",") != strings.Join(wantSteps, ",") {
		t.Errorf("progress events %v, want %v", got, wantSteps)
	}
	c := s.chip(t)
	if c.Data.Address.HouseCode != next || c.Sequence != 2 || len(c.History) != 1 ||
		c.History[0].Address.HouseCode != current {
		t.Errorf("chip address %s sequence %d history %+v, want %s, 2, [%s]", c.Data.Address.HouseCode, c.Sequence,
			c.History, next, current)
	}
	if n := len(s.strip.Images()); n != 1 {
		t.Errorf("rewriter wrote %d strip images, want 1", n)
	}
	after, err := s.app.ReadRewriteCard()
	if err != nil {
		t.Fatal(err)
	}
	if after.Address.HouseCode != next || len(after.History) != 1 || after.History[0].Address.HouseCode != current {
		t.Errorf("card after the change: address %s history %+v", after.Address.HouseCode, after.History)
	}

	jobs, err := s.app.RewriteJobs()
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != job.ID || !contains(jobs[0].Choices, string(rewrite.ChoiceReprint)) {
		t.Errorf("RewriteJobs = %+v, want job %d offering reprint", jobs, job.ID)
	}

	t.Run("strip failure then reprint", func(t *testing.T) {
		third := s.houseCode(t, "active", current, next)
		s.strip.InsertCard()
		s.strip.SetCoverOpen(true)
		j, err := s.app.StartRewrite(third, serial.String())
		if err != nil {
			t.Fatal(err)
		}
		j = s.waitJob(t, j.ID, string(rewrite.Done), string(rewrite.NeedsAttention))
		if j.State != string(rewrite.NeedsAttention) || j.AttentionFrom != string(rewrite.StripPrinting) ||
			strings.Join(j.Choices, ",") != string(rewrite.ChoiceReprint) {
			t.Fatalf("job with the cover open = %s from %s, choices %v", j.State, j.AttentionFrom, j.Choices)
		}
		if !strings.Contains(j.Attention, "chip updated, strip not reprinted") {
			t.Errorf("attention %q", j.Attention)
		}
		if _, err := s.app.ResumeRewrite(j.ID); errorCode(err) != CodeBadTransition {
			t.Errorf("ResumeRewrite of a strip failure = %v, want code %q", err, CodeBadTransition)
		}
		s.strip.SetCoverOpen(false)
		j, err = s.app.ReprintRewriteStrip(j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != string(rewrite.Done) || j.StripPrints != 1 {
			t.Errorf("reprinted job = %s with %d strip prints, want done with 1", j.State, j.StripPrints)
		}
		if c := s.chip(t); c.Data.Address.HouseCode != third {
			t.Errorf("chip address %s, want %s", c.Data.Address.HouseCode, third)
		}
	})

	t.Run("torn chip write then roll back", func(t *testing.T) {
		fourth := s.houseCode(t, "active", current, next, s.chip(t).Data.Address.HouseCode)
		before := s.chip(t).Data.Address.HouseCode
		s.strip.InsertCard()
		s.cards.SetFaults(simcard.Faults{TearUpdate: 1})
		j, err := s.app.StartRewrite(fourth, serial.String())
		if err != nil {
			t.Fatal(err)
		}
		// The torn card left the reader: the job waits RepresentWait (10 s)
		// for it before it needs attention.
		j = s.waitJob(t, j.ID, string(rewrite.Done), string(rewrite.NeedsAttention))
		if j.State != string(rewrite.NeedsAttention) || j.AttentionFrom != string(rewrite.ChipWriting) {
			t.Fatalf("torn job = %s from %s, want needs_attention from chip_writing", j.State, j.AttentionFrom)
		}
		if err := s.cards.Insert(serial); err != nil {
			t.Fatal(err)
		}
		card, err := s.app.ReadRewriteCard()
		if err != nil {
			t.Fatal(err)
		}
		if card.OpenJob == nil || card.OpenJob.ID != j.ID || card.ChipCondition == "" {
			t.Fatalf("card after the torn write: open job %+v, chip condition %q", card.OpenJob, card.ChipCondition)
		}
		if _, err := s.app.PreviewRewrite(fourth); errorCode(err) != CodeBadTransition {
			t.Errorf("PreviewRewrite with an open job = %v, want code %q", err, CodeBadTransition)
		}
		j, err = s.app.RollBackRewrite(j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != string(rewrite.RolledBack) {
			t.Errorf("rolled back job = %s", j.State)
		}
		if c := s.chip(t); c.Data.Address.HouseCode != before {
			t.Errorf("chip address after the roll-back %s, want %s", c.Data.Address.HouseCode, before)
		}
	})

	t.Run("interrupted job recovered at start", func(t *testing.T) {
		if _, err := s.db.Exec(`UPDATE rewrite_jobs SET state = 'strip_printing' WHERE id = ?`, job.ID); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.app.startRewrite(ctx)
		j, err := s.app.RewriteJob(job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != string(rewrite.NeedsAttention) || !contains(j.Choices, string(rewrite.ChoiceReprint)) {
			t.Errorf("job left in strip_printing = %s with choices %v, want needs_attention with reprint",
				j.State, j.Choices)
		}
	})
	s.cards.Remove()
}
