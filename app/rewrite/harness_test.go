package rewrite_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"image"
	"net"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"permitdesk/app/cardface"
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
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	simcard "permitdesk/devices/sim/card"
	rewritersim "permitdesk/devices/sim/rewriter"
)

const station = "DEV-0001"

// forgeKey signs seals that no station trusts.
var forgeKey = ed25519.NewKeyFromSeed([]byte("permitdesk-test-forged-seal-seed"))

var testdataCards = filepath.Join("..", "..", "testdata", "cards")

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// central is a reference central system on 127.0.0.1.
type central struct {
	store  *cstore.Store
	srv    *server.Server
	dir    string
	pkiDir string
	addr   string
	stop   func()
}

// testSeed is a small generated register: five approved applications for
// this station, two for DEV-0002, and extra house codes (one retired).
func testSeed(t testing.TB) *seed.Dataset {
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: station, Approved: 5},
		{ID: "DEV-0002", Approved: 2}}, ExtraHouseCodes: 12, RetiredHouseCodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func startCentral(t testing.TB, ds *seed.Dataset) *central {
	t.Helper()
	c := &central{dir: t.TempDir()}
	c.pkiDir = filepath.Join(c.dir, "pki")
	if _, err := pki.Init(pki.InitOptions{Dir: c.pkiDir, Stations: []string{station, "DEV-0002"}}); err != nil {
		t.Fatal(err)
	}
	sealKey, err := pki.LoadSealKey(c.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	if c.store, err = cstore.Open(context.Background(), cstore.Options{Dir: filepath.Join(c.dir, "central"),
		SealKey: sealKey}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.store.Close() })
	if err := c.store.Seed(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	if c.srv, err = server.New(server.Options{Store: c.store}); err != nil {
		t.Fatal(err)
	}
	c.serve(t, "127.0.0.1:0")
	t.Cleanup(func() { c.stop() })
	return c
}

// serve listens on addr (the same address again after a stop) over TLS.
func (c *central) serve(t testing.TB, addr string) {
	t.Helper()
	tlsConfig, err := pki.ServerTLS(c.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.srv.Serve(ctx, ln, tlsConfig) }()
	var once gosync.Once
	c.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("central server: %v", err)
			}
		})
	}
}

// cardHouseCode returns the house code the central system holds for a card.
func (c *central) cardHouseCode(t testing.TB, serial string) string {
	t.Helper()
	db, err := sql.Open("sqlite", cstore.DSN(filepath.Join(c.dir, "central", cstore.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	if err := db.QueryRow(`SELECT house_code FROM cards WHERE card_serial = ?`, serial).Scan(&code); err != nil {
		t.Fatalf("central card %s: %v", serial, err)
	}
	return code
}

// rig is a workstation with a desk reader on pcscd, the card emulator, the
// rewriter emulator on a pty, a database, the sync service and operators.
type rig struct {
	t        testing.TB
	central  *central
	db       *sql.DB
	sync     *appsync.Service
	cards    *simcard.Emulator
	reader   apdu.CardReader
	waitGone func(context.Context) error
	keys     keys.Provider
	enc      *permitcard.Encoder
	strip    *rewritersim.Sim
	rw       *rewriter.Rewriter
	renderer *cardface.Renderer
	svc      *rewrite.Service
	tech     *operators.Session
	clerk    *operators.Session
}

type rigOptions struct {
	// representWait is the service's wait for a removed card; 0 means
	// fail at once.
	representWait time.Duration
	// stripEmpty starts the rewriter without a card at the inlet.
	stripEmpty bool
	// centralURL overrides the central address, such as a closed port.
	centralURL string
}

func newRig(t testing.TB, c *central, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, central: c}
	r.startCards(t)
	r.startStrip(t, o.stripEmpty)
	r.openStation(t, o.centralURL)
	r.addOperators(t)
	var err error
	if r.renderer, err = cardface.New(cardface.Options{}); err != nil {
		t.Fatal(err)
	}
	wait := o.representWait
	if wait == 0 {
		wait = -1
	}
	r.svc, err = rewrite.New(rewrite.Options{DB: r.db, Reader: r.reader, Keys: r.keys, RepresentWait: wait,
		Registry: r.sync, Strip: r.rw, Renderer: r.renderer, StationID: station, StripWait: 20 * time.Second,
		PollInterval: 20 * time.Millisecond, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startCards runs the card emulator behind pcscd and vpcd with the desk
// reader on the real PC/SC driver. PERMITDESK_TEST_DIRECT=1 wires the
// reader straight to the emulator instead, for quick runs while pcscd's
// reader is taken by other test processes.
func (r *rig) startCards(t testing.TB) {
	var err error
	if os.Getenv("PERMITDESK_TEST_DIRECT") == "1" {
		if r.cards, err = simcard.New(simcard.Options{StateDir: t.TempDir(), Hopper: 8}); err != nil {
			t.Fatal(err)
		}
		r.reader = simcard.Direct{E: r.cards}
		r.waitGone = r.waitSimEmpty
		r.openEncoder(t)
		return
	}
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	r.cards, err = simcard.New(simcard.Options{Addr: pcsctest.EncoderAddr, StateDir: t.TempDir(), Hopper: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.cards.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	pr, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	r.reader, r.waitGone = pr, pr.WaitRemoved
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := pr.WaitRemoved(wctx); err != nil {
		t.Fatalf("a card from an earlier test is still in the reader: %v", err)
	}
	r.openEncoder(t)
}

func (r *rig) openEncoder(t testing.TB) {
	var err error
	if r.keys, err = keys.LoadFile(filepath.Join(testdataCards, "dev-master.key")); err != nil {
		t.Fatal(err)
	}
	if r.enc, err = permitcard.New(permitcard.Options{Reader: r.reader, Keys: r.keys, RepresentWait: -1}); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) startStrip(t testing.TB, empty bool) {
	var err error
	r.strip, err = rewritersim.New(rewritersim.Options{Link: filepath.Join(t.TempDir(), "rewriter"),
		OutDir: t.TempDir(), CardInserted: !empty})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go r.strip.Run(ctx)
	t.Cleanup(func() { cancel(); r.strip.Wait() })
	r.rw, err = rewriter.Open(rewriter.Options{Port: serialport.Options{Path: r.strip.Path(), Baud: 38400},
		Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.rw.Close() })
}

func (r *rig) openStation(t testing.TB, url string) {
	var err error
	if r.db, err = store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	if url == "" {
		url = "https://" + r.central.addr
	}
	cert, key := pki.StationFiles(r.central.pkiDir, station)
	client, err := appsync.NewClient(appsync.ClientOptions{BaseURL: url, CAFile: filepath.Join(r.central.pkiDir,
		pki.CAFile), CertFile: cert, KeyFile: key, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	r.sync, err = appsync.New(appsync.Options{DB: r.db, Client: client, StationID: station,
		BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond, LookupTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) addOperators(t testing.TB) {
	ctx := context.Background()
	ops := operators.New(r.db, operators.Options{Hash: operators.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if _, err := ops.Add(ctx, nil, operators.NewOperator{Login: "sup", Name: "Supervisor",
		Role: operators.Supervisor, Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	sup, err := ops.Login(ctx, "sup", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []operators.NewOperator{
		{Login: "tech", Name: "Technician", Role: operators.Technician, Password: "technician-pw"},
		{Login: "clerk", Name: "Clerk", Role: operators.Clerk, Password: "clerk-pw-1"},
	} {
		if _, err := ops.Add(ctx, sup, n); err != nil {
			t.Fatal(err)
		}
	}
	if r.tech, err = ops.Login(ctx, "tech", "technician-pw"); err != nil {
		t.Fatal(err)
	}
	if r.clerk, err = ops.Login(ctx, "clerk", "clerk-pw-1"); err != nil {
		t.Fatal(err)
	}
}

// pull fetches the register, applications and revocations.
func (r *rig) pull(t testing.TB) {
	t.Helper()
	if _, err := r.sync.Pull(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// Seals a test card can carry.
type sealKind int

const (
	sealCentral sealKind = iota // the central system's seal of the application
	sealNone                    // no seal, as a card issued before approval sealing
	sealForged                  // a seal by a key nobody trusts
)

// issueCard personalises a blank card with the application's permit and
// seal and leaves it in the reader.
func (r *rig) issueCard(t testing.TB, app permit.Application, seal sealKind) permitcard.Serial {
	t.Helper()
	ctx := testCtx(t)
	if _, err := r.cards.InsertBlank(); err != nil {
		t.Fatal(err)
	}
	p := permit.FromApplication(app, time.Now().UTC().Truncate(time.Second))
	p.StationID = app.StationID
	d := issuance.CardData(p)
	var err error
	switch seal {
	case sealCentral:
		a, _, err := r.central.store.Application(ctx, app.ID)
		if err != nil || a.Seal == nil {
			t.Fatalf("central seal of application %s: %v", app.ID, err)
		}
		d.Seal = permitcard.Seal{KeyID: a.Seal.KeyId, Signature: a.Seal.Signature}
	case sealForged:
		if d.Seal, err = permitcard.SignSeal("forged-1", forgeKey, d); err != nil {
			t.Fatal(err)
		}
	}
	serial, err := r.enc.Personalise(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	return serial
}

// reportIssued queues the issued record of a card for the central system.
func (r *rig) reportIssued(t testing.TB, app permit.Application, serial permitcard.Serial) {
	t.Helper()
	ctx := testCtx(t)
	err := store.InTx(ctx, r.db, func(tx *sql.Tx) error {
		_, err := r.sync.Enqueue(ctx, tx, appsync.Record{Kind: appsync.KindIssued, ApplicationID: app.ID,
			PermitNumber: app.PermitNumber, CardSerial: serial.String()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// push drains the outbox and fails unless every record was accepted.
func (r *rig) push(t testing.TB) appsync.PushReport {
	t.Helper()
	rep, err := r.sync.Push(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conflict+rep.Rejected+rep.Retry > 0 {
		st, _ := r.sync.Status(testCtx(t))
		t.Fatalf("push %+v: parked %+v", rep, st.Parked)
	}
	return rep
}

// application returns the i-th cached approved application of a station.
func (r *rig) application(t testing.TB, stationID string, i int) permit.Application {
	t.Helper()
	rows, err := r.db.Query(`SELECT id FROM sync_applications WHERE station_id = ? ORDER BY seq`, stationID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if i >= len(ids) {
		t.Fatalf("station %s has %d cached applications, want index %d", stationID, len(ids), i)
	}
	app, err := r.sync.Application(testCtx(t), ids[i])
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// otherHouseCode returns an active register entry that differs from a.
func (r *rig) otherHouseCode(t testing.TB, a permit.Address, skip int) permit.Address {
	t.Helper()
	rows, err := r.db.Query(`SELECT code, district, street, community, detail FROM sync_house_codes
		WHERE status = 'active' AND code <> ? ORDER BY code`, a.HouseCode)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h permit.Address
		if err := rows.Scan(&h.HouseCode, &h.District, &h.Street, &h.Community, &h.Detail); err != nil {
			t.Fatal(err)
		}
		if skip == 0 {
			return h
		}
		skip--
	}
	t.Fatal("no other active house code cached")
	return permit.Address{}
}

// readCard reads the card in the reader with the permitcard encoder.
func (r *rig) readCard(t testing.TB) permitcard.Card {
	t.Helper()
	c, err := r.enc.Read(testCtx(t), permitcard.ReadOptions{SkipPhoto: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitRemoved blocks until the card has left the reader.
func (r *rig) waitRemoved(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.waitGone(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitSimEmpty waits until the emulator has no card present.
func (r *rig) waitSimEmpty(ctx context.Context) error {
	for {
		if _, ok := r.cards.Status(); !ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// sameImage compares two strips dot by dot.
func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			ga, _, _, _ := a.At(x, y).RGBA()
			gb, _, _, _ := b.At(x, y).RGBA()
			if (ga < 0x8000) != (gb < 0x8000) {
				return false
			}
		}
	}
	return true
}

// seedApplication converts a seeded application to the domain type, for
// applications this station does not pull.
func seedApplication(t testing.TB, a seed.Application) permit.Application {
	t.Helper()
	from, err := time.Parse("2006-01-02", a.ValidFrom)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.Parse("2006-01-02", a.ValidTo)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Holder
	return permit.Application{ID: a.ID, StationID: a.StationID, PermitNumber: a.PermitNumber,
		Authority: a.Authority, ValidFrom: from, ValidTo: to, Photo: a.Photo,
		Holder: permit.Holder{Name: h.Name, Sex: permit.Sex(h.Sex), Ethnicity: h.Ethnicity,
			BirthDate: h.BirthDate.Time, IDNumber: h.IdNumber, HukouAddress: h.HukouAddress},
		Address: permit.Address{HouseCode: a.Address.HouseCode, District: a.Address.District,
			Street: a.Address.Street, Community: a.Address.Community, Detail: a.Address.Detail}}
}
